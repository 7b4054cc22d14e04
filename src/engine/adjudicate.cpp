// The envoi pipeline: reception → preliminary checks and unicity (920999) → file checks and
// rule families → cascades → error rate → 920099 or 920900 (+ 920098) → recorded atomically.
#include <atomic>
#include <future>
#include <algorithm>
#include <chrono>
#include <functional>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <nlohmann/json.hpp>

#include "engine/json_out.h"
#include "format/reuse_pool.h"
#include "format/text_key.h"
#include "engine/pipeline.h"
#include "engine/response.h"
#include "mutua/catalog.h"
#include "mutua/engine/adjudicate.h"
#include "mutua/model/dates.h"
#include "mutua/preflight.h"
#include "rules/lines/adjudication.h"

namespace mutua::engine {

namespace fs = std::filesystem;

namespace {


// Findings of the file checks that belong to the preliminary control: the header, ET 95 / 96
// and anything that stops the file being read.
// A refusal lists this many preliminary errors in its summary, then counts the rest by code.
constexpr size_t kSummaryMarks = 200;

bool preliminary(const mutua::Finding& f) {
  if (f.type != 'B') return false;
  return f.record == 0 || f.record_type == "200" || f.record_type == "300" || f.record_type == "95" ||
         f.record_type == "96";
}

std::string basename(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string verdicts_json(const rules::Envoi& e, const rules::Verdicts& v) {
  std::string text;
  JsonRecords doc(text);
  for (size_t i = 0; i < e.records.size(); ++i) {
    if (v.by_record[i].empty()) continue;
    nlohmann::ordered_json codes = nlohmann::ordered_json::array();
    for (const auto& x : v.by_record[i])
      codes.push_back({{"code", x.code}, {"type", std::string(1, x.type)}, {"rule", x.rule}, {"facts", x.facts},
                       {"comment", x.comment}});
    doc.add({{"record", e.records[i].number}, {"codes", std::move(codes)}});
  }
  doc.finish();
  return text;
}

}  // namespace

void run_rules(const rules::Envoi& e, const model::RefIndex& ref,
               const std::unordered_map<std::string, std::vector<model::HistoryLine>>& history, model::Date today,
               rules::Verdicts& verdicts, std::vector<FamilyCost>* costs) {
  const rules::RuleData& data = rules::RuleData::with(ref.shared().parameters);
  verdicts.data = &data;
  if (verdicts.by_record.size() < e.records.size()) verdicts.by_record.resize(e.records.size());
  rules::Context ctx{e, ref, data, verdicts, today, std::vector<bool>(e.lines.size(), false)};
  // Patients in order of first appearance.
  std::vector<rules::Patient> patients;
  std::unordered_map<std::string_view, size_t> index;  // views of the envoi's lines, which outlive it
  index.reserve(e.invoices.size() + 1);
  size_t at = SIZE_MAX;  // the patient of the line before: an invoice's lines are mostly one patient's
  for (size_t i = 0; i < e.lines.size(); ++i) {
    const auto& niss = e.lines[i].niss;
    if (at == SIZE_MAX || patients[at].niss != niss) {
      auto [it, fresh] = index.try_emplace(std::string_view(niss), patients.size());
      if (fresh) {
        rules::Patient p;
        p.niss = niss;
        p.facts = ref.patient(niss);
        auto h = history.find(niss);
        p.history = h == history.end() ? nullptr : &h->second;
        patients.push_back(std::move(p));
      }
      at = it->second;
    }
    patients[at].lines.push_back(i);
  }
  auto families = rules::make_line_rules();
  if (costs) {
    // Measured run: the same calls, each family's share timed.
    costs->resize(std::max(costs->size(), families.size() + 1));
    auto clock = [] { return std::chrono::steady_clock::now(); };
    auto add = [&](size_t i, std::string_view name, auto since) {
      auto& c = (*costs)[i];
      if (c.family.empty()) c.family = name;
      c.nanoseconds += static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(clock() - since).count());
    };
    for (size_t i = 0; i < families.size(); ++i) {
      auto t = clock();
      families[i]->envoi(ctx);
      add(i, families[i]->name(), t);
    }
    for (const auto& p : patients)
      for (size_t i = 0; i < families.size(); ++i) {
        auto t = clock();
        families[i]->patient(ctx, p);
        add(i, families[i]->name(), t);
      }
    auto t = clock();
    rules::apply_cascades(ctx, patients);
    rules::apply_record_type_codes(ctx);
    add(families.size(), "cascades", t);
    return;
  }
  for (auto& f : families) {
    if (verdicts.tracing)
      for (const auto& l : e.lines) verdicts.note(l.record, std::string(f->name()), "ran");
    f->envoi(ctx);
  }
  for (const auto& p : patients)
    for (auto& f : families) f->patient(ctx, p);
  rules::apply_cascades(ctx, patients);
  rules::apply_record_type_codes(ctx);
}

namespace {

Result<void> check_corrected_envois(const rules::Envoi& e, model::EnvoiStore& envois, int64_t before, rules::Verdicts& verdicts) {
  // A corrective invoice names the envoi it corrects (ET 20 zones 34 and 41): the fund must
  // have accepted that envoi of the provider (F203420, the whole invoice).
  std::map<std::pair<int, int>, bool> known;
  for (const auto& inv : e.invoices) {
    if (inv.previous_sending == 0) continue;
    const int year = inv.previous_year_month >= 100 ? inv.previous_year_month / 100 : e.year;
    auto [it, fresh] = known.try_emplace({year, inv.previous_sending}, false);
    if (fresh) {
      auto receptions = envois.receptions(e.third_party, year, inv.previous_sending);
      if (!receptions) return fail(receptions.error());
      for (const auto& r : *receptions)
        if (r.status == model::EnvoiStatus::Accepted && r.test == e.test && (before == 0 || r.id < before))
          it->second = true;
    }
    if (!it->second)
      verdicts.add(inv.et20, "203420", "corrections",
                   {{"number", fmt::format("{:03d}", inv.previous_sending)}, {"year", std::to_string(year)}});
  }
  return {};
}

}  // namespace

namespace {

// Parses `r.bytes` into `r` (unreadable says why); the reader for the file checks, when readable.
std::unique_ptr<Reader> parse_into(Reception& r) {
  auto reader = Reader::from_view(*r.bytes, r.name);
  if (!reader) {
    r.unreadable = reader.error();
    return nullptr;
  }
  auto parsed = parse_envoi(r.bytes, r.name);
  if (!parsed) {
    r.unreadable = parsed.error();
    return nullptr;
  }
  r.parsed = std::make_shared<ParsedEnvoi>(ParsedEnvoi{std::move(*parsed)});
  return std::move(*reader);
}

}  // namespace

Reception read_envoi(std::shared_ptr<const std::string> bytes, std::string name) {
  Reception r;
  r.name = std::move(name);
  r.bytes = std::move(bytes);
  (void)parse_into(r);
  return r;
}

std::string content_hash(std::string_view bytes) {
  // SHA-256 runs on the processor's SHA extensions (1.6 GB/s here) where FNV-1a, a multiply per
  // byte, took 70 ms of every 54 MB envoi.
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // OpenSSL out of memory: the older hash still tells receptions apart (find_in_batch reads both).
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1)
    return legacy_content_hash(bytes);
  std::string out;
  out.reserve(2 * length + 21);
  for (unsigned int i = 0; i < length; ++i) fmt::format_to(std::back_inserter(out), "{:02x}", digest[i]);
  fmt::format_to(std::back_inserter(out), "-{}", bytes.size());
  return out;
}

std::string legacy_content_hash(std::string_view bytes) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}-{}", h, bytes.size());
}

Result<std::optional<model::EnvoiRecord>> find_in_batch(model::EnvoiStore& store, const std::string& batch,
                                                        const Reception& reception) {
  auto recorded = store.batch_receptions(batch, reception.name);
  if (!recorded) return fail(recorded.error());
  std::string legacy;  // computed only when a reception of this name carries one
  for (const auto& e : *recorded) {
    if (e.content_hash == reception.hash) return std::optional<model::EnvoiRecord>(e);
    if (e.content_hash.size() == reception.hash.size() || !reception.bytes) continue;
    if (legacy.empty()) legacy = legacy_content_hash(*reception.bytes);
    if (e.content_hash == legacy) return std::optional<model::EnvoiRecord>(e);
  }
  return std::optional<model::EnvoiRecord>();
}

Reception receive(std::string bytes, std::string name, model::Date today) {
  return receive(std::move(bytes), std::move(name), today, BesideChecks());
}

namespace {

// The buffers files are read into, kept once every view of their bytes is gone, for the next
// file read: a 100k-line envoi is 69 MB, whose huge pages were otherwise faulted in and zeroed
// afresh for every envoi of a batch. Never destroyed: the last bytes may go at exit. Three:
// a file is read while the one before is judged and the one before that recorded.
ReusePool<std::string>& file_buffers() {
  static auto* pool = new ReusePool<std::string>(3);
  return *pool;
}

// `size` bytes to read a file into, given back to file_buffers when the last holder lets go.
std::shared_ptr<std::string> file_buffer(size_t size) {
  auto buffer = file_buffers().take();
  if (!buffer) buffer = std::make_unique<std::string>();
  reserve_with_room(*buffer, size);
  buffer->resize(size);
  return std::shared_ptr<std::string>(buffer.release(), [](std::string* kept) {
    file_buffers().give_back(std::unique_ptr<std::string>(kept));
  });
}

// The accepted lines of an envoi (100k history lines are 20 MB), kept for the next envoi's once
// recorded: like the file buffers, faulted in and zeroed afresh for every envoi otherwise.
ReusePool<std::vector<model::HistoryLine>>& accepted_buffers() {
  static auto* pool = new ReusePool<std::vector<model::HistoryLine>>(1);
  return *pool;
}

// Gives `lines`' storage back to accepted_buffers when it goes out of scope, emptied.
class AcceptedGivenBack {
 public:
  explicit AcceptedGivenBack(std::vector<model::HistoryLine>& lines) : lines_(lines) {
    if (auto kept = accepted_buffers().take()) lines_ = std::move(*kept);
  }
  ~AcceptedGivenBack() {
    if (lines_.capacity() < 1024) return;  // not worth keeping
    lines_.clear();
    accepted_buffers().give_back(std::make_unique<std::vector<model::HistoryLine>>(std::move(lines_)));
  }
  AcceptedGivenBack(const AcceptedGivenBack&) = delete;
  AcceptedGivenBack& operator=(const AcceptedGivenBack&) = delete;

 private:
  std::vector<model::HistoryLine>& lines_;
};

Reception receive_bytes(std::shared_ptr<const std::string> bytes, std::string name, model::Date today,
                        const BesideChecks& beside_checks) {
  Reception r;
  auto start = std::chrono::steady_clock::now();
  auto lap = [&](const char* phase) {
    auto now = std::chrono::steady_clock::now();
    r.phases.emplace_back(phase, std::chrono::duration<double>(now - start).count());
    start = now;
  };
  r.name = std::move(name);
  r.bytes = std::move(bytes);
  r.hash = content_hash(*r.bytes);
  auto reader = parse_into(r);
  if (!reader) return r;
  lap("parse");
  // Reads the members set by now (name, bytes, hash, parsed); the checks below write others.
  std::future<void> beside;
  if (beside_checks) beside = std::async(std::launch::async, [&beside_checks, &r] { beside_checks(r); });
  engine::PreflightOptions pre;
  pre.today = today;
  pre.list_per_code = SIZE_MAX;
  auto report = std::make_shared<PreflightReport>(SIZE_MAX);
  preflight_reader(*reader, pre, *report);
  r.report = std::move(report);
  lap("file checks");
  if (beside.valid()) beside.get();
  return r;
}

}  // namespace

Reception receive(std::string bytes, std::string name, model::Date today, const BesideChecks& beside_checks) {
  return receive_bytes(std::make_shared<const std::string>(std::move(bytes)), std::move(name), today, beside_checks);
}

namespace {
// The NISS of an envoi's lines and invoices, sorted: whose reference data it is judged with.
std::vector<std::string> patients_of(const rules::Envoi& e) {
  // An invoice's lines are mostly one patient's: a line is kept when its patient is not the one
  // of the line before, then sorted by TextKey (hashing every line's NISS cost more).
  std::vector<TextKey> niss;
  niss.reserve(e.invoices.size() * 2 + 16);
  std::string_view last;
  bool first = true;
  for (const auto& l : e.lines)
    if (first || l.niss != last) {
      niss.emplace_back(l.niss);
      last = l.niss;
      first = false;
    }
  for (const auto& inv : e.invoices) niss.emplace_back(inv.niss);
  std::sort(niss.begin(), niss.end());
  niss.erase(std::unique(niss.begin(), niss.end()), niss.end());
  std::vector<std::string> out;
  out.reserve(niss.size());
  for (const auto& k : niss) out.emplace_back(k.text);
  return out;
}
}  // namespace

Result<void> read_ahead(Reception& reception, JudgingStores store, model::Store* helper) {
  ReadAhead read;
  auto r = read_ahead_into(reception, store, helper, read);
  add_read_ahead(reception, std::move(read));
  return r;
}

void add_read_ahead(Reception& reception, ReadAhead read) {
  if (read.patient_data) reception.patient_data = std::move(read.patient_data);
  if (read.history_ahead) reception.history_ahead = std::move(read.history_ahead);
  for (auto& p : read.phases) reception.phases.push_back(std::move(p));
}

Result<void> read_ahead_into(const Reception& reception, JudgingStores store, model::Store* helper, ReadAhead& out) {
  if (!reception.parsed || !reception.parsed->envoi) return {};
  const rules::Envoi& e = *reception.parsed->envoi;
  auto start = std::chrono::steady_clock::now();
  auto lap = [&](const char* phase) {
    auto now = std::chrono::steady_clock::now();
    out.phases.emplace_back(phase, std::chrono::duration<double>(now - start).count());
    start = now;
  };
  auto data = std::make_shared<PatientData>();
  data->patients = patients_of(e);
  if (out.envois_like_this > 1) {
    const uint64_t expected = data->patients.size() * out.envois_like_this;
    store.refdata.expect_patients(expected);
    if (helper) helper->expect_patients(expected);
  }
  // The history its rules read, at a mark taken first: what is recorded after it is read again.
  // The needs depend on the fund's shared data only (codes, cumulations, prerequisites, roles),
  // not on the patients' reference data, which the helper reads meanwhile.
  auto ahead = std::make_shared<HistoryAhead>();
  std::promise<bool> needs_made;  // false: no history is read (the mark or the shared data failed)
  auto needs_ready = needs_made.get_future().share();
  // The patients' history in chunks of patients (in NISS order), taken in turn by this
  // connection and, once it has read the reference data, by the helper: the first envoi of a
  // batch has the helper make the patient tables' copy (a second on bench/peer's data) while
  // this one reads most of the history, where halves fixed in advance waited for each other.
  using Lines = std::unordered_map<std::string, std::vector<model::HistoryLine>>;
  std::atomic<size_t> next_chunk{0};
  size_t chunks = 1;
  auto read_chunks = [&](model::EnvoiStore& from) -> Result<Lines> {
    Lines all;
    const auto& needs = ahead->needs;
    for (size_t k; (k = next_chunk.fetch_add(1)) < chunks;) {
      auto first = needs.begin() + static_cast<std::ptrdiff_t>(needs.size() * k / chunks);
      auto last = needs.begin() + static_cast<std::ptrdiff_t>(needs.size() * (k + 1) / chunks);
      auto got = chunks == 1 ? from.history_of_codes(needs, 0)
                             : from.history_of_codes(std::vector<model::PatientCodes>(first, last), 0);
      if (!got) {
        next_chunk = chunks;  // the other connection stops at its next chunk
        return fail(got.error());
      }
      all.merge(*got);  // other patients: every line moves
    }
    return all;
  };
  struct OnHelper {
    Result<model::RefData> refdata;
    double seconds = 0;  // reading the reference data
    Result<Lines> history;
  };
  std::future<OnHelper> on_helper;
  if (helper)
    on_helper = std::async(std::launch::async, [&]() {
      const auto began = std::chrono::steady_clock::now();
      OnHelper h{helper->load_refdata_for(data->patients), 0, Lines{}};
      h.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
      if (h.refdata && needs_ready.get()) h.history = read_chunks(*helper);
      return h;
    });
  else {
    auto read = store.refdata.load_refdata_for(data->patients);
    if (!read) return fail(read.error());
    data->data = std::move(*read);
    out.patient_data = data;
    lap("reference data (read ahead)");
  }
  auto shared = store.refdata.shared_refdata();
  auto mark = shared ? store.envois.mark() : Result<model::StoreMark>(fail(shared.error()));
  if (mark) {
    ahead->mark = *mark;
    ahead->shared = *shared;
    const model::RefData no_patients;
    ahead->needs = rules::history_needed(e, model::RefIndex(no_patients, *shared));
    // Sixteen chunks: a call's own cost (its statements, the filter's and the recent pairs' checks)
    // stays small beside a sixteenth of an envoi's patients.
    if (helper) chunks = std::clamp<size_t>(ahead->needs.size() / 256, 1, 16);
  }
  needs_made.set_value(mark.has_value());
  Result<Lines> lines = mark ? read_chunks(store.envois) : Result<Lines>(fail(mark.error()));
  if (helper) {
    OnHelper h = on_helper.get();
    if (!h.refdata) return fail(h.refdata.error());
    data->data = std::move(*h.refdata);
    out.patient_data = data;
    // The history's lap is what the reading ahead took beyond the reference data.
    out.phases.emplace_back("reference data (read ahead)", h.seconds);
    start += std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(h.seconds));
    if (!h.history) return fail(h.history.error());
    if (lines) lines->merge(*h.history);
  }
  if (!lines) return fail(lines.error());
  ahead->lines = std::move(*lines);
  out.history_ahead = std::move(ahead);
  lap("history (read ahead)");
  return {};
}

namespace {

// The history of `needs` as it stands from `mark` on: read ahead, with the lines accepted since
// added, or the patients read again whose lines read ahead may have changed since (the store's
// recorded_since says which); or read now when nothing was read ahead for these needs. The
// lines read ahead are taken (HistoryAhead).
Result<std::unordered_map<std::string, std::vector<model::HistoryLine>>> history_from(
    const Reception& reception, model::EnvoiStore& envois, const std::vector<model::PatientCodes>& needs,
    const std::vector<std::string>& patients, int64_t before) {
  const auto& ahead = reception.history_ahead;
  if (!ahead || before != 0 || (&needs != &ahead->needs && ahead->needs != needs))
    return envois.history_of_codes(needs, before);
  auto since = envois.recorded_since(ahead->mark, patients);
  if (!since) return fail(since.error());
  auto history = std::move(ahead->lines);
  ahead->lines.clear();
  std::vector<model::PatientCodes> again;
  for (const auto& n : needs) {
    if (std::binary_search(since->again.begin(), since->again.end(), n.niss)) {
      history.erase(n.niss);
      again.push_back(n);
      continue;
    }
    // Accepted after every line read ahead: after them, as the rules read a patient's lines.
    auto added = since->added.find(n.niss);
    if (added == since->added.end()) continue;
    for (auto& line : added->second)
      if (n.wants(line.code, line.first_date)) history[n.niss].push_back(std::move(line));
  }
  if (again.empty()) return history;
  auto fresh = envois.history_of_codes(again, 0);
  if (!fresh) return fail(fresh.error());
  for (auto& [niss, lines] : *fresh) history[niss] = std::move(lines);
  return history;
}
}  // namespace

std::string sender_of(const Reception& reception) {
  return reception.parsed && reception.parsed->envoi ? reception.parsed->envoi->third_party : std::string();
}

std::string federation_of(const Reception& reception) {
  return reception.parsed && reception.parsed->envoi ? reception.parsed->envoi->federation : std::string();
}

Result<Reception> receive_file(const std::string& path, model::Date today) {
  return receive_file(path, today, BesideChecks());
}

Result<Reception> receive_file(const std::string& path, model::Date today, const BesideChecks& beside_checks) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::is_regular_file(status))
    return fail({.code = "Z00015",
                 .message = ec ? "cannot read the file: " + ec.message()
                               : "not a regular file (a directory, a pipe, a device): only files are received",
                 .file = path});
  const uint64_t size = fs::file_size(path, ec);
  if (!ec && size > kMaxEnvoiBytes) {
    // Six-digit record numbers: no billing file is larger. Refused unread, memory untouched.
    Reception r;
    r.name = basename(path);
    r.bytes = std::make_shared<const std::string>();
    r.unreadable = {.code = "Z00015",
                    .message = fmt::format("{} bytes: larger than any billing file can be (999,999 records of 350 "
                                           "bytes with line ends, {} bytes): refused unread", size, kMaxEnvoiBytes),
                    .file = path};
    return r;
  }
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return fail({.code = "Z00001", .message = "cannot read the file", .file = path});
  auto bytes = file_buffer(static_cast<size_t>(in.tellg()));
  in.seekg(0);
  if (!in.read(bytes->data(), static_cast<std::streamsize>(bytes->size())))
    return fail({.code = "Z00001", .message = "cannot read the file", .file = path});
  return receive_bytes(std::move(bytes), basename(path), today, beside_checks);
}

Result<Adjudication> adjudicate_file(const std::string& path, JudgingStores store, const AdjudicateOptions& options) {
  auto r = receive_file(path, options.today);
  if (!r) return fail(r.error());
  return adjudicate(std::move(*r), store, options);
}

Result<Adjudication> adjudicate(const std::string& bytes, const std::string& name, JudgingStores store,
                                const AdjudicateOptions& options) {
  return adjudicate(receive(bytes, name, options.today), store, options);
}

namespace {
// `loaded`: the patients' reference data when this judgement read it itself.
Result<Adjudication> adjudicate_once(const Reception& reception, JudgingStores store, const AdjudicateOptions& options,
                                     Judged* judged, std::shared_ptr<const PatientData>* loaded);
}  // namespace

Result<Adjudication> adjudicate(Reception reception, JudgingStores store, const AdjudicateOptions& options) {
  return judge(std::move(reception), store, options, nullptr);
}

Result<Adjudication> judge(Reception reception, JudgingStores store, const AdjudicateOptions& options, Judged* judged) {
  // Judged against the store as it stands; when another process recorded something this
  // judgement depends on before it could record (model::StoreMark), judged again from there:
  // the decisions are those of the envois judged one after the other, in the order recorded.
  // Judged again, it keeps its patients' reference data (envois do not write it; the mark
  // guards what they write): only what other envois recorded is read again.
  constexpr int kAttempts = 1000;
  for (int attempt = 1;; ++attempt) {
    std::shared_ptr<const PatientData> loaded;
    auto once = adjudicate_once(reception, store, options, judged, &loaded);
    if (once || once.error().code != model::kStoreConflict || attempt == kAttempts) return once;
    if (loaded) reception.patient_data = std::move(loaded);
    reception.history_ahead.reset();  // its lines were taken by the first judgement
  }
}

namespace {

Result<Adjudication> adjudicate_once(const Reception& reception, JudgingStores store, const AdjudicateOptions& options,
                                     Judged* judged, std::shared_ptr<const PatientData>* loaded) {
  Adjudication out;
  out.phases = reception.phases;
  auto lap_start = std::chrono::steady_clock::now();
  auto lap = [&](const char* phase) {
    auto now = std::chrono::steady_clock::now();
    out.phases.emplace_back(phase, std::chrono::duration<double>(now - lap_start).count());
    lap_start = now;
  };
  const std::string& name = reception.name;
  const std::string& bytes = *reception.bytes;
  const std::string& hash = reception.hash;

  // A batch run that was interrupted: what it recorded stands, as recorded.
  if (!options.batch.empty() && options.record) {
    auto seen = find_in_batch(store.envois, options.batch, reception);
    if (!seen) return fail(seen.error());
    if (*seen) {
      out.resumed = true;
      out.envoi = **seen;
      auto resp = store.envois.responses(out.envoi.id);
      if (!resp) return fail(resp.error());
      out.responses = std::move(*resp);
      out.message = out.responses.empty() ? "" : out.responses.front().message;
      out.summary.push_back("already recorded in batch " + options.batch + ": responses as recorded");
      return out;
    }
  }

  // Where the store stands before this judgement reads it (checked again when recording).
  std::optional<model::StoreMark> mark;
  if (options.record) {
    auto m = store.envois.mark();
    if (!m) return fail(m.error());
    mark = *m;
  }
  model::EnvoiRecord rec;
  rec.id = options.envoi_id;
  rec.received = options.today;
  rec.file_name = name;
  rec.content_hash = hash;
  rec.batch = options.batch;

  // Set when the envoi is judged line by line (920900 / 920099): builds its responses.
  std::function<std::vector<model::StoredResponse>(std::vector<std::pair<std::string, double>>&)> build_responses;
  auto verdicts = std::make_shared<rules::Verdicts>();
  verdicts->data = &rules::RuleData::builtin();  // the fund's parameters once its data is read
  verdicts->tracing = options.trace;

  if (!reception.parsed) {
    // Unreadable: refused, nothing to answer record by record.
    const Error& err = reception.unreadable;
    rec.status = model::EnvoiStatus::Refused;
    out.message = "920999";
    out.summary.push_back(fmt::format("{} {}: {}", err.code, Catalog::builtin().label(err.code), err.message));
    out.envoi = rec;
    nlohmann::ordered_json j = {{"message", "920999"}, {"file", name}, {"summary", out.summary}};
    out.responses.push_back({"920999", std::string(), j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace)});
    if (options.record) {
      model::EnvoiOutcome o{rec, {}, {}, {}, out.responses, {}, bytes, "[]"};
      auto id = store.envois.record(o);
      if (!id) return fail(id.error());
      out.envoi.id = *id;
    }
    return out;
  }
  const PreflightReport& report = *reception.report;
  std::shared_ptr<rules::Envoi> e = reception.parsed->envoi;
  if (judged) *judged = {e, verdicts};
  verdicts->by_record.resize(e->records.size());
  rec.third_party = e->third_party;
  rec.year = e->year;
  rec.month = e->month;
  rec.number = e->number;
  rec.test = e->test;
  rec.federation = e->federation;

  // The provider's language (for labels and comments) from the fund's shared data: those the
  // reading ahead took, if they are still current.
  if (reception.history_ahead) store.refdata.adopt_shared_refdata(reception.history_ahead->shared);
  auto shared = store.refdata.shared_refdata();
  if (!shared) return fail(shared.error());
  std::string language = "fr";
  for (const auto& p : (*shared)->providers)
    if (p.inami == e->third_party) language = p.language;
  verdicts->language = language;

  // Preliminary control first: an envoi refused as a whole needs neither its patients' data nor
  // a verdict per record, so a file of junk costs little more than its own bytes.
  std::vector<EnvelopeMark> marks;
  std::vector<size_t> index_of_number(e->records.empty() ? 0 : e->records.back().number + 1, SIZE_MAX);
  for (size_t i = 0; i < e->records.size(); ++i) index_of_number[e->records[i].number] = i;
  uint64_t marks_unlisted = 0;
  std::map<std::string, uint64_t> unlisted_by_code;
  for (const auto& [code, per] : report.findings.by_code())
    for (const auto& f : per.listed) {
      if (!preliminary(f)) continue;
      size_t idx = f.record && f.record < index_of_number.size() ? index_of_number[f.record] : SIZE_MAX;
      marks.push_back({idx, f.zone, envelope_code(f.code, f.value)});
      if (marks.size() > kSummaryMarks) {
        ++marks_unlisted;
        ++unlisted_by_code[f.type + f.code];
        continue;
      }
      out.summary.push_back(fmt::format("{}{} record {} ({}) zone {}: {}", f.type, f.code, f.record, f.record_type,
                                        f.zone, Catalog::builtin().label(f.code, language)));
    }
  if (marks_unlisted) {
    std::string tally;
    for (const auto& [code, n] : unlisted_by_code) tally += fmt::format("{}{} {}", tally.empty() ? "" : ", ", code, n);
    out.summary.push_back(fmt::format("and {} more preliminary error(s) not listed ({})", marks_unlisted, tally));
  }

  // The envoi's patients, once: their reference data now, their history for the rules.
  // Read ahead, or by an earlier judgement of this reception (of this envoi, so of its
  // patients): not read again.
  std::shared_ptr<const PatientData> data = reception.patient_data;
  const bool data_read_ahead = marks.empty() && data;
  const std::vector<std::string> patients = !marks.empty()   ? std::vector<std::string>()
                                            : data_read_ahead ? data->patients
                                                              : patients_of(*e);
  std::optional<model::RefIndex> ref_kept;
  if (marks.empty()) {
    if (!data_read_ahead) {
      auto read = std::make_shared<PatientData>();
      read->patients = patients;
      auto ref_data = store.refdata.load_refdata_for(patients);
      if (!ref_data) return fail(ref_data.error());
      read->data = std::move(*ref_data);
      data = std::move(read);
      if (loaded) *loaded = data;
    }
    lap("reference data (store)");
    ref_kept.emplace(data->data, *shared);
    verdicts->data = &rules::RuleData::with(ref_kept->shared().parameters);
    for (const auto& [code, per] : report.findings.by_code())
      for (const auto& f : per.listed) {
        if (f.record == 0 || f.record >= index_of_number.size() || index_of_number[f.record] == SIZE_MAX) continue;
        std::map<std::string, std::string> facts = {{"zone", f.zone},
                                                    {"position", std::to_string(f.position)},
                                                    {"value", f.value},
                                                    {"expected", f.expected}};
        if (!f.message.empty()) facts["detail"] = f.message;
        verdicts->add(index_of_number[f.record], f.code, "file", std::move(facts));
      }
  }
  lap("reference data (index)");

  // Envoi-number unicity per provider and year; test files live apart.
  bool duplicate_of_accepted = false;
  model::EnvoiRecord first;
  if (marks.empty()) {
    auto earlier = store.envois.receptions(e->third_party, e->year, e->number);
    if (!earlier) return fail(earlier.error());
    for (const auto& r : *earlier)
      if (r.status == model::EnvoiStatus::Accepted && r.test == e->test &&
          (options.history_before == 0 || r.id < options.history_before)) {
        duplicate_of_accepted = true;
        first = r;
        break;
      }
    if (duplicate_of_accepted) {
      marks.push_back({SIZE_MAX, "301", "40"});
      out.summary.push_back(fmt::format("B100721 envoi {} of {} already accepted on {} (reception {})", e->number,
                                        e->third_party, model::dmy(first.received), first.id));
    }
  }

  if (!marks.empty()) {
    rec.status = model::EnvoiStatus::Refused;
    out.message = "920999";
    std::string refusal = write_refusal(*e, marks);
    nlohmann::ordered_json j = {{"message", "920999"}, {"file", name},           {"third_party", e->third_party},
                                {"envoi_number", e->number}, {"summary", out.summary}};
    out.responses.push_back({"920999", refusal, j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace)});
    if (duplicate_of_accepted) {
      // The informative report: the first copy was accepted, do not send it again.
      rules::Verdicts info;
      info.data = verdicts->data;
      info.language = language;
      info.by_record.resize(e->records.size());
      if (e->et10 != SIZE_MAX)
        info.add(e->et10, "Z00301", "unicity",
                 {{"number", std::to_string(e->number)}, {"date", model::dmy(first.received)}});
      Amounts none{std::vector<int64_t>(e->records.size(), 0), std::vector<int64_t>(e->records.size(), 0)};
      ResponseInput ri{e.get(), &info, &none, "920098", "E", options.today, 0, 3, language};
      out.responses.push_back({"920098", write_detail_response(ri), response_json(ri, out.summary)});
    }
  } else {
    // Adjudication against the fund's data and history. A store that holds no accepted line at
    // all (a provider's pre-flight on its reference data) has nothing to read for any patient.
    bool no_history = false;
    if (!options.record) {
      auto m = store.envois.mark();
      no_history = m && m->history == 0 && m->pending == 0;
    }
    // The needs made by the read-ahead with the same reference data are these; made again,
    // they cost 60-70 ms of the main path. The read-ahead's shared data may be another
    // connection's copy: the same when read at the same version.
    const auto& ahead = reception.history_ahead;
    const bool needs_ahead = ahead && data_read_ahead &&
                             (ahead->shared == *shared || (ahead->shared && ahead->shared->version != 0 &&
                                                           ahead->shared->version == (*shared)->version));
    std::vector<model::PatientCodes> made;
    auto history = no_history ? Result<std::unordered_map<std::string, std::vector<model::HistoryLine>>>()
                   : options.whole_history
                       ? store.envois.history(patients, options.history_before)
                       : history_from(reception, store.envois,
                                      needs_ahead ? ahead->needs : (made = rules::history_needed(*e, *ref_kept)),
                                      patients, options.history_before);
    if (!history) return fail(history.error());
    if (auto r = check_corrected_envois(*e, store.envois, options.history_before, *verdicts); !r) return fail(r.error());
    lap("history");
    run_rules(*e, *ref_kept, *history, options.today, *verdicts);
    lap("rules");

    // Amounts and error rate.
    auto amounts_kept = std::make_shared<Amounts>(
        Amounts{std::vector<int64_t>(e->records.size(), 0), std::vector<int64_t>(e->records.size(), 0)});
    Amounts& amounts = *amounts_kept;
    uint64_t details = 0, rejected = 0;
    bool blocking = false;
    for (size_t i = 0; i < e->records.size(); ++i)
      for (const auto& v : verdicts->by_record[i]) blocking = blocking || v.type == 'B';
    for (const auto& l : e->lines) {
      ++details;
      const bool rej = verdicts->rejected(l.record);
      if (rej) {
        ++rejected;
        amounts.refused[l.record] = l.amount;
        rec.refused_cents += l.amount;
      } else if (!verdicts->pending(l.record)) {
        amounts.accepted[l.record] = l.amount;
        rec.accepted_cents += l.amount;
        (l.account == 1 ? rec.accepted_b_cents : rec.accepted_a_cents) += l.amount;
      } else {
        // Pending the advisor (500434): not paid now, so refused in this settlement's amounts
        // (asked = accepted + refused on each account, as real funds write ET 91 / 92); a
        // complement pays it when the advisor agrees.
        amounts.refused[l.record] = l.amount;
        rec.pending_cents += l.amount;
      }
      rec.asked_cents += l.amount;
    }
    for (const auto& inv : e->invoices) {
      int64_t acc = 0, ref_ = 0;
      for (size_t li : inv.lines) {
        acc += amounts.accepted[e->lines[li].record];
        ref_ += amounts.refused[e->lines[li].record];
      }
      amounts.accepted[inv.et80] = acc;
      amounts.refused[inv.et80] = ref_;
    }
    rec.lines = details;
    rec.rejected_lines = rejected;
    rec.account_c_cents = e->account_c;
    rec.error_rate_bp = details ? static_cast<int64_t>((rejected * 10000 + details / 2) / details) : 0;
    const int64_t threshold = options.threshold_bp >= 0 ? options.threshold_bp
                                                               : rules::RuleData::with(ref_kept->shared().parameters).number("error_rate_threshold_bp");
    const bool too_many = rec.error_rate_bp > threshold;
    out.message = blocking || too_many ? "920099" : "920900";
    out.lines = static_cast<int64_t>(details);
    if (options.decisions_only) {
      const std::string_view types = out.message == "920900" ? "BFRS" : "BFRSE";  // as the response would list them
      for (const auto& l : e->lines) {
        if (!verdicts->rejected(l.record)) continue;
        RejectedLine r{e->invoices[l.invoice].number, e->records[l.record].number, {}};
        for (const auto& v : verdicts->by_record[l.record])
          if (types.find(v.type) != std::string_view::npos) r.codes.push_back({v.code, v.type, v.comment});
        out.rejected.push_back(std::move(r));
      }
    }
    rec.status = out.message == "920900" ? model::EnvoiStatus::Accepted : model::EnvoiStatus::Rejected;
    if (blocking) out.summary.push_back("blocking error (type B): the envoi is rejected; correct it and send it again with the same number");
    if (too_many)
      out.summary.push_back(fmt::format("error rate {}.{:02d} % above {}.{:02d} %: the envoi is rejected", rec.error_rate_bp / 100,
                                        rec.error_rate_bp % 100, threshold / 100, threshold % 100));
    if (out.message == "920900")
      out.summary.push_back(fmt::format("accepted: {} line(s), {} rejected ({}.{:02d} %)", details, rejected,
                                        rec.error_rate_bp / 100, rec.error_rate_bp % 100));
    // The responses, built by whoever needs them first: here when nothing is recorded, else by
    // the store while the history lines go in (EnvoiOutcome::build_responses). Everything they
    // read is kept alive by the closure and no longer changes.
    build_responses = [e, verdicts, amounts_kept, message = out.message, summary = out.summary, today = options.today,
                       rate = rec.error_rate_bp, reason = blocking ? 1 : too_many ? 2 : 0,
                       language](std::vector<std::pair<std::string, double>>& phases) {
      std::vector<model::StoredResponse> responses;
      auto start = std::chrono::steady_clock::now();
      auto lap = [&](const char* phase) {
        auto now = std::chrono::steady_clock::now();
        phases.emplace_back(phase, std::chrono::duration<double>(now - start).count());
        start = now;
      };
      ResponseInput ri{e.get(), verdicts.get(), amounts_kept.get(), message, message == "920900" ? "BFRS" : "BFRSE",
                       today, rate, reason, language};
      // Both read what no longer changes: the JSON is written on another core beside the bytes.
      auto json = std::async(std::launch::async, [&ri, &summary] { return response_json(ri, summary); });
      responses.push_back({message, write_detail_response(ri), std::string()});
      lap("response");
      responses.back().json = json.get();
      lap("response json (waited)");
      // E findings of an accepted envoi go to a 920098 beside its 920900, never into it.
      bool informative = false;
      for (const auto& per : verdicts->by_record)
        for (const auto& v : per) informative = informative || v.type == 'E';
      if (message == "920900" && informative) {
        ResponseInput info = ri;
        info.message = "920098";
        info.types = "E";
        responses.push_back({"920098", write_detail_response(info), response_json(info, summary)});
      }
      return responses;
    };
  }

  out.envoi = rec;
  if (!options.record) {
    if (build_responses && !options.decisions_only) out.responses = build_responses(out.phases);
    return out;
  }

  model::EnvoiOutcome o;
  const AcceptedGivenBack accepted_kept(o.accepted);
  o.envoi = rec;
  std::vector<model::StoredResponse> built;
  std::vector<std::pair<std::string, double>> response_phases;
  if (build_responses)
    o.build_responses = [&]() -> const std::vector<model::StoredResponse>& {
      built = build_responses(response_phases);
      return built;
    };
  else
    o.responses = std::move(out.responses);  // given back after record(): no copy of 100+ MB
  o.received_bytes = bytes;
  o.judged_at = mark;
  o.patients = patients;
  o.verdicts_json = verdicts_json(*e, *verdicts);
  lap("verdicts json");
  if (rec.status == model::EnvoiStatus::Accepted && !e->test) {
    // History: accepted lines; a credit note's lines reverse the lines they cancel.
    auto history = store.envois.history([&] {
      std::set<std::string> niss;
      for (const auto& l : e->lines)
        if (l.credit) niss.insert(l.niss);
      return std::vector<std::string>(niss.begin(), niss.end());
    }());
    if (!history) return fail(history.error());
    std::set<int64_t> reversed;
    // Sized once: grown by doubling, 100k lines touched twice their 20 MB, fresh pages each.
    reserve_with_room(o.accepted, e->lines.size() - static_cast<size_t>(rec.rejected_lines));
    for (const auto& l : e->lines) {
      if (verdicts->rejected(l.record)) continue;
      const auto& inv = e->invoices[l.invoice];
      model::HistoryLine line{0, l.niss, l.code, l.first, l.last, l.units, l.amount, l.provider, e->third_party,
                           inv.number, e->records[l.record].number, e->created, e->number, false, 0};
      if (verdicts->pending(l.record)) {
        // Waits on the medical advisor: enters history and is paid when approved.
        model::PendingLine p;
        p.line = std::move(line);
        p.account = l.account == 1 ? 'B' : 'A';
        o.pending.push_back(std::move(p));
        continue;
      }
      o.accepted.push_back(std::move(line));
      if (!l.credit) continue;
      auto h = history->find(l.niss);
      if (h == history->end()) continue;
      for (const auto& x : h->second)
        if (x.code == l.code && x.first_date == l.first && x.provider == l.provider && x.amount == -l.amount &&
            x.amount > 0 && !reversed.count(x.id)) {
          reversed.insert(x.id);
          o.reversed_ids.push_back(x.id);
          break;
        }
    }
  }
  lap("history lines");
  auto id = store.envois.record(o);
  out.responses = build_responses ? std::move(built) : std::move(o.responses);
  if (!id) return fail(id.error());
  lap("record");
  // Built during the recording, on the store's other thread: their own times, after it.
  for (auto& phase : response_phases) out.phases.push_back(std::move(phase));
  out.envoi.id = *id;
  return out;
}

}  // namespace

}  // namespace mutua::engine
