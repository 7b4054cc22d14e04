# Run as a script: -DNAME=portal_files -DDIR=<folder> -DOUTPUT=<file.cpp>
# Writes a .cpp defining
#   std::vector<std::pair<std::string_view, std::string_view>> mutua::embedded::<NAME>();
# with every file under DIR, by its path relative to DIR ("templates/layout.mustache").
file(GLOB_RECURSE files RELATIVE ${DIR} ${DIR}/*)
list(SORT files)
set(code "// Generated from ${DIR}; do not edit.\n#include <string_view>\n#include <utility>\n#include <vector>\nnamespace mutua::embedded {\n")
set(table "")
set(i 0)
foreach(f ${files})
  file(READ ${DIR}/${f} hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR size "${hexlen} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND code "static const unsigned char k_${NAME}_${i}[] = {${bytes}0};\n")
  string(APPEND table "      {\"${f}\", {reinterpret_cast<const char*>(k_${NAME}_${i}), ${size}}},\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND code "const std::vector<std::pair<std::string_view, std::string_view>>& ${NAME}() {\n  static const std::vector<std::pair<std::string_view, std::string_view>> files = {\n${table}  };\n  return files;\n}\n}\n")
file(WRITE ${OUTPUT} "${code}")
