#include "daemon/status_report.hpp"

#include "common/error.hpp"
#include "daemon/instance_lock.hpp"
#include "daemon/service_loop.hpp"
#include "hr/inbox.hpp"
#include "storage/database.hpp"
#include "storage/status_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <sstream>
#include <system_error>
#include <sys/stat.h>
#include <unistd.h>

namespace dirsync::daemon {

namespace {

namespace fs = std::filesystem;

json::Value optional_int(const std::optional<std::int64_t>& value)
{
  return value ? json::Value(static_cast<long long>(*value)) : json::Value();
}

json::Value to_json(const storage::PlanRow& p)
{
  json::Value v = json::Value::object();
  v.set("id", static_cast<long long>(p.id));
  v.set("status", p.status);
  v.set("created_at", static_cast<long long>(p.created_at));
  v.set("hr_file", p.hr_file);
  v.set("counts", json::Value::object({{"create", static_cast<long long>(p.creates)},
                                       {"update", static_cast<long long>(p.updates)},
                                       {"delete", static_cast<long long>(p.deletes)},
                                       {"resurrect", static_cast<long long>(p.resurrects)},
                                       {"freeze", static_cast<long long>(p.freezes)},
                                       {"set_leader", static_cast<long long>(p.set_leaders)}}));
  v.set("operations", json::Value::object({{"done", static_cast<long long>(p.ops_done)},
                                           {"failed", static_cast<long long>(p.ops_failed)},
                                           {"left", static_cast<long long>(p.ops_left)}}));
  if (p.status == "held") {
    v.set("held_reasons", json::Value::string_array(p.held_reasons));
    v.set("release", fmt::format("dirsync approve {}", p.id));
  }
  if (!p.error.empty()) {
    v.set("error", p.error);
  }
  return v;
}

json::Value inbox_json(const config::HrConfig& hr)
{
  json::Value inbox = json::Value::object({{"folder", hr.inbox.string()}});
  json::Value waiting = json::Value::array();
  std::error_code ec;
  struct Entry
  {
    std::string name;
    std::uintmax_t size;
    std::int64_t modified_at;
  };
  std::vector<Entry> entries;
  fs::directory_iterator it(hr.inbox, ec);
  if (ec) {
    inbox.set("error", fmt::format("cannot list {}: {}", hr.inbox.string(), ec.message()));
    inbox.set("waiting", std::move(waiting));
    return inbox;
  }
  for (const fs::directory_entry& entry : it) {
    const std::string name = entry.path().filename().string();
    std::error_code entry_ec;
    if (!hr::Inbox::is_candidate_name(name) || !entry.is_regular_file(entry_ec) || entry.is_symlink(entry_ec)) {
      continue;
    }
    struct stat st {};
    if (::stat(entry.path().c_str(), &st) != 0) {
      continue; // gone meanwhile
    }
    entries.push_back({name, static_cast<std::uintmax_t>(st.st_size), static_cast<std::int64_t>(st.st_mtime)});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.modified_at, a.name) < std::tie(b.modified_at, b.name);
  });
  for (const Entry& e : entries) {
    waiting.push_back(json::Value::object({{"name", e.name},
                                           {"size", static_cast<long long>(e.size)},
                                           {"modified_at", static_cast<long long>(e.modified_at)}}));
  }
  inbox.set("waiting", std::move(waiting));
  return inbox;
}

json::Value daemon_json(const config::Config& config)
{
  const fs::path lock = lock_path_for(config.storage.database);
  json::Value d = json::Value::object();
  try {
    const std::optional<LockHolder> holder = find_lock_holder(lock);
    // The lock is held by the daemon, or by a refresh, apply or sync run from the command line
    // (which wrote its command); a holder that wrote none is taken for the daemon.
    const bool daemon = holder && (holder->command.empty() || holder->command == "dirsync daemon");
    d.set("running", daemon);
    if (holder && holder->pid) {
      d.set("pid", static_cast<long long>(*holder->pid));
    }
    if (holder && !daemon) {
      d.set("busy", holder->command);
    }
  } catch (const Error& e) {
    d.set("running", nullptr); // unknown
    d.set("error", e.what());
  }
  d.set("lock", lock.string());
  // The daemon's own record of its cycles, if it wrote one; stale when it no longer runs.
  const fs::path state_path = daemon_state_path_for(config.storage.database);
  std::ifstream in(state_path, std::ios::binary);
  if (in) {
    std::ostringstream text;
    text << in.rdbuf();
    try {
      const json::Value state = json::parse(text.str());
      for (const auto& [key, value] : state.as_object()) {
        if (key != "pid") {
          d.set(key, value);
        }
      }
    } catch (const json::JsonError&) {
      d.set("state_error", fmt::format("{} is not readable JSON", state_path.string()));
    }
  }
  return d;
}

std::string format_time(std::int64_t unix_seconds)
{
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buffer;
}

std::string ago(std::int64_t then, std::int64_t now)
{
  const std::int64_t s = std::max<std::int64_t>(0, now - then);
  if (s < 120) {
    return fmt::format("{} s ago", s);
  }
  if (s < 7200) {
    return fmt::format("{} min ago", s / 60);
  }
  if (s < 172800) {
    return fmt::format("{} h ago", s / 3600);
  }
  return fmt::format("{} days ago", s / 86400);
}

std::string when(const json::Value* value, std::int64_t now)
{
  if (value == nullptr || !value->is_integer()) {
    return "never";
  }
  return fmt::format("{} ({})", format_time(value->as_int()), ago(value->as_int(), now));
}

std::string counts_text(const json::Value& counts)
{
  std::vector<std::string> parts;
  for (const auto& [kind, n] : counts.as_object()) {
    if (n.as_int() > 0) {
      parts.push_back(fmt::format("{} {}", n.as_int(), kind));
    }
  }
  return parts.empty() ? "no changes" : fmt::format("{}", fmt::join(parts, ", "));
}

} // namespace

fs::path daemon_state_path_for(const fs::path& database)
{
  return fs::path(database.string() + ".daemon.json");
}

void write_daemon_state(const fs::path& path, const ServiceStats& stats)
{
  json::Value state = json::Value::object();
  state.set("pid", static_cast<long long>(::getpid()));
  state.set("started_at", static_cast<long long>(stats.started_at));
  state.set("refresh_interval_seconds", static_cast<long long>(stats.refresh_interval.count()));
  state.set("cycles_ok", static_cast<long long>(stats.cycles_ok));
  state.set("cycles_failed", static_cast<long long>(stats.cycles_failed));
  state.set("consecutive_failures", stats.consecutive_failures);
  state.set("last_cycle_at", optional_int(stats.last_cycle_at));
  state.set("last_cycle_ok", stats.last_cycle_ok);
  state.set("last_success_at", optional_int(stats.last_success_at));
  state.set("last_summary", stats.last_summary);
  state.set("last_error", stats.last_error);

  const fs::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << state.dump_pretty() << '\n';
    if (!out) {
      throw Error(fmt::format("{}: cannot write the daemon's state file", temporary.string()));
    }
  }
  std::error_code ec;
  fs::rename(temporary, path, ec);
  if (ec) {
    throw Error(fmt::format("{}: cannot replace the daemon's state file: {}", path.string(), ec.message()));
  }
}

json::Value build_status(const config::Config& config)
{
  json::Value status = json::Value::object();
  status.set("daemon", daemon_json(config));
  json::Value database = json::Value::object({{"path", config.storage.database.string()}});
  if (!fs::exists(config.storage.database)) {
    database.set("exists", false);
    status.set("database", std::move(database));
    status.set("inbox", inbox_json(config.hr));
    return status;
  }
  storage::Database db(config.storage.database, storage::OpenMode::read_only);
  database.set("exists", true);
  database.set("schema_version", db.schema_version());
  status.set("database", std::move(database));
  const storage::StatusSnapshot s = storage::StatusStore(db).load();

  json::Value runs = json::Value::array();
  for (const storage::RefreshRunRow& r : s.refresh_runs) {
    json::Value v = json::Value::object({{"id", static_cast<long long>(r.id)},
                                         {"result", r.result},
                                         {"started_at", static_cast<long long>(r.started_at)},
                                         {"finished_at", optional_int(r.finished_at)},
                                         {"departments_seen", static_cast<long long>(r.departments_seen)},
                                         {"users_seen", static_cast<long long>(r.users_seen)}});
    if (!r.detail.empty()) {
      v.set("detail", r.detail);
    }
    runs.push_back(std::move(v));
  }
  status.set("refresh_runs", std::move(runs));

  json::Value plans = json::Value::array();
  for (const storage::PlanRow& p : s.plans) {
    plans.push_back(to_json(p));
  }
  status.set("plans", std::move(plans));
  json::Value held = json::Value::array();
  for (const storage::PlanRow& p : s.held_plans) {
    held.push_back(to_json(p));
  }
  status.set("held_plans", std::move(held));

  json::Value failed = json::Value::array();
  for (const storage::FailedOperationRow& o : s.failed_operations) {
    failed.push_back(json::Value::object({{"plan_id", static_cast<long long>(o.plan_id)},
                                          {"seq", static_cast<long long>(o.seq)},
                                          {"kind", o.kind},
                                          {"employee_no", o.employee_no},
                                          {"name", o.name},
                                          {"code", optional_int(o.code)},
                                          {"msg", o.msg},
                                          {"log_id", o.log_id},
                                          {"failed_at", optional_int(o.failed_at)}}));
  }
  status.set("failed_operations",
             json::Value::object({{"total", static_cast<long long>(s.failed_operations_total)},
                                  {"recent", std::move(failed)}}));

  status.set("inbox", inbox_json(config.hr));

  json::Value files = json::Value::array();
  for (const storage::HrFileRow& f : s.hr_files) {
    json::Value v = json::Value::object({{"id", static_cast<long long>(f.id)},
                                         {"name", f.name},
                                         {"status", f.status},
                                         {"received_at", static_cast<long long>(f.received_at)},
                                         {"rows_valid", static_cast<long long>(f.rows_valid)},
                                         {"rows_invalid", static_cast<long long>(f.rows_invalid)}});
    if (!f.reason.empty()) {
      v.set("reason", f.reason);
    }
    files.push_back(std::move(v));
  }
  const auto count_of = [](const auto& map, const std::string& key) {
    const auto it = map.find(key);
    return static_cast<long long>(it == map.end() ? 0 : it->second);
  };
  status.set("hr_files", json::Value::object({{"accepted", count_of(s.hr_files_by_status, "accepted")},
                                              {"rejected", count_of(s.hr_files_by_status, "rejected")},
                                              {"recent", std::move(files)}}));

  json::Value users = json::Value::object();
  for (const char* state : {"active", "resigned", "out_of_scope"}) {
    users.set(state, count_of(s.mirror.users, state));
  }
  json::Value departments = json::Value::object();
  for (const char* state : {"active", "deleted", "out_of_scope"}) {
    departments.set(state, count_of(s.mirror.departments, state));
  }
  status.set("mirror", json::Value::object({{"users", std::move(users)},
                                            {"departments", std::move(departments)},
                                            {"job_titles", static_cast<long long>(s.mirror.job_titles)},
                                            {"units", static_cast<long long>(s.mirror.units)},
                                            {"links", static_cast<long long>(s.mirror.links)},
                                            {"last_ok_refresh_at", optional_int(s.last_ok_refresh_at)}}));
  return status;
}

std::string status_text(const json::Value& status, std::int64_t now)
{
  std::string out;
  const json::Value& d = *status.find("daemon");
  if (d.find("running")->is_null()) {
    out += fmt::format("Daemon:    unknown: {}\n", d.get_string("error"));
  } else if (d.get_bool("running")) {
    out += fmt::format("Daemon:    running (pid {})\n", d.get_int("pid"));
  } else if (const json::Value* busy = d.find("busy"); busy != nullptr) {
    out += fmt::format("Daemon:    not running; {} (pid {}) is working on the database\n", busy->as_string(),
                       d.get_int("pid"));
  } else {
    out += "Daemon:    not running\n";
  }
  if (const json::Value* at = d.find("last_cycle_at"); at != nullptr && at->is_integer()) {
    if (d.get_bool("last_cycle_ok")) {
      out += fmt::format("  last cycle  {}: OK, {}\n", when(at, now), d.get_string("last_summary"));
    } else {
      out += fmt::format("  last cycle  {}: FAILED ({} in a row): {}\n", when(at, now),
                         d.get_int("consecutive_failures"), d.get_string("last_error"));
      out += fmt::format("  last good   {}\n", when(d.find("last_success_at"), now));
    }
    out += fmt::format("  cycles      {} ok, {} failed since {}\n", d.get_int("cycles_ok"),
                       d.get_int("cycles_failed"), when(d.find("started_at"), now));
  }

  const json::Value& db = *status.find("database");
  if (!db.get_bool("exists")) {
    out += fmt::format("Database:  {} does not exist yet (the daemon or `dirsync refresh` creates it)\n",
                       db.get_string("path"));
  } else {
    out += fmt::format("Database:  {} (schema {})\n", db.get_string("path"), db.get_int("schema_version"));
  }

  if (const json::Value* m = status.find("mirror")) {
    const json::Value& u = *m->find("users");
    const json::Value& dep = *m->find("departments");
    out += fmt::format("\nMirror:    {} users active, {} resigned, {} out of scope; {} departments; "
                       "{} job titles; {} units; {} linked to HR\n",
                       u.get_int("active"), u.get_int("resigned"), u.get_int("out_of_scope"),
                       dep.get_int("active"), m->get_int("job_titles"), m->get_int("units"), m->get_int("links"));
    out += fmt::format("  last good refresh  {}\n", when(m->find("last_ok_refresh_at"), now));
  }

  if (const json::Value* runs = status.find("refresh_runs"); runs != nullptr && runs->size() > 0) {
    out += "\nRefresh runs (newest first):\n";
    for (const json::Value& r : runs->as_array()) {
      out += fmt::format("  #{:<5} {}  {:<9} {} users, {} departments{}\n", r.get_int("id"),
                         format_time(r.get_int("started_at")), r.get_string("result"), r.get_int("users_seen"),
                         r.get_int("departments_seen"),
                         r.contains("detail") ? ": " + r.get_string("detail") : std::string());
    }
  }

  if (const json::Value* plans = status.find("plans"); plans != nullptr && plans->size() > 0) {
    out += "\nPlans (newest first):\n";
    for (const json::Value& p : plans->as_array()) {
      const json::Value& ops = *p.find("operations");
      out += fmt::format("  #{:<5} {}  {:<10} {}: {}; {} done, {} failed, {} left\n", p.get_int("id"),
                         format_time(p.get_int("created_at")), p.get_string("status"), p.get_string("hr_file"),
                         counts_text(*p.find("counts")), ops.get_int("done"), ops.get_int("failed"),
                         ops.get_int("left"));
    }
  }

  if (const json::Value* held = status.find("held_plans"); held != nullptr && held->size() > 0) {
    out += fmt::format("\nHeld plans ({}): each waits for an admin\n", held->size());
    for (const json::Value& p : held->as_array()) {
      out += fmt::format("  #{} from {}: {}\n", p.get_int("id"), p.get_string("hr_file"),
                         counts_text(*p.find("counts")));
      for (const json::Value& reason : p.find("held_reasons")->as_array()) {
        out += fmt::format("      held: {}\n", reason.as_string());
      }
      out += fmt::format("      review it (SELECT * FROM v_operations WHERE plan_id = {}), then release it: {}\n",
                         p.get_int("id"), p.get_string("release"));
    }
  }

  if (const json::Value* failed = status.find("failed_operations"); failed != nullptr && failed->get_int("total") > 0) {
    out += fmt::format("\nFailed operations: {} in all (SELECT * FROM v_failed_operations); the newest:\n",
                       failed->get_int("total"));
    for (const json::Value& o : failed->find("recent")->as_array()) {
      const json::Value* code = o.find("code");
      out += fmt::format("  plan #{} op {} {} {} {}: {}{}{}\n", o.get_int("plan_id"), o.get_int("seq"),
                         o.get_string("kind"), o.get_string("employee_no"), o.get_string("name"),
                         code != nullptr && code->is_integer() ? fmt::format("code {} ", code->as_int()) : "",
                         o.get_string("msg"),
                         o.get_string("log_id").empty() ? "" : " (log id " + o.get_string("log_id") + ")");
    }
  }

  const json::Value& inbox = *status.find("inbox");
  const json::Value& waiting = *inbox.find("waiting");
  out += fmt::format("\nInbox:     {}: {} file(s) waiting\n", inbox.get_string("folder"), waiting.size());
  if (inbox.contains("error")) {
    out += fmt::format("  {}\n", inbox.get_string("error"));
  }
  for (const json::Value& f : waiting.as_array()) {
    out += fmt::format("  {} ({} bytes, {})\n", f.get_string("name"), f.get_int("size"),
                       when(f.find("modified_at"), now));
  }

  if (const json::Value* files = status.find("hr_files")) {
    out += fmt::format("HR files:  {} accepted, {} rejected\n", files->get_int("accepted"), files->get_int("rejected"));
    for (const json::Value& f : files->find("recent")->as_array()) {
      out += fmt::format("  #{:<5} {}  {:<8} {} ({} valid rows, {} invalid){}\n", f.get_int("id"),
                         format_time(f.get_int("received_at")), f.get_string("status"), f.get_string("name"),
                         f.get_int("rows_valid"), f.get_int("rows_invalid"),
                         f.contains("reason") ? ": " + f.get_string("reason") : std::string());
    }
  }
  return out;
}

} // namespace dirsync::daemon
