# mutua_embed(OUT_VAR name1 file1 name2 file2 ...)
# Turns each file into a generated .cpp defining
#   std::string_view mutua::embedded::<name>();
# so reference data ships inside the binary and stays a plain data file in the repo.
function(mutua_embed out_var)
  set(sources)
  list(LENGTH ARGN n)
  math(EXPR last "${n} - 1")
  foreach(i RANGE 0 ${last} 2)
    math(EXPR j "${i} + 1")
    list(GET ARGN ${i} name)
    list(GET ARGN ${j} file)
    set(out ${CMAKE_BINARY_DIR}/embedded/${name}.cpp)
    add_custom_command(
      OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -DNAME=${name} -DINPUT=${file} -DOUTPUT=${out}
              -P ${CMAKE_SOURCE_DIR}/cmake/embed_one.cmake
      DEPENDS ${file} ${CMAKE_SOURCE_DIR}/cmake/embed_one.cmake
      COMMENT "Embedding ${name}")
    list(APPEND sources ${out})
  endforeach()
  set(${out_var} ${sources} PARENT_SCOPE)
endfunction()

# mutua_embed_dir(OUT_VAR name dir): every file under `dir` in one generated .cpp defining
#   const std::vector<std::pair<std::string_view, std::string_view>>& mutua::embedded::<name>();
# (path relative to `dir`, contents): the portal's templates, messages and assets.
function(mutua_embed_dir out_var name dir)
  file(GLOB_RECURSE files CONFIGURE_DEPENDS ${dir}/*)
  set(out ${CMAKE_BINARY_DIR}/embedded/${name}.cpp)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DNAME=${name} -DDIR=${dir} -DOUTPUT=${out}
            -P ${CMAKE_SOURCE_DIR}/cmake/embed_dir.cmake
    DEPENDS ${files} ${CMAKE_SOURCE_DIR}/cmake/embed_dir.cmake
    COMMENT "Embedding ${dir}")
  set(${out_var} ${out} PARENT_SCOPE)
endfunction()
