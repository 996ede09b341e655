#include "common/error.hpp"
#include "config/loader.hpp"
#include "support/scratch_dir.hpp"

#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>
#include <string>
#include <vector>

using dirsync::ConfigError;
using dirsync::config::Config;
using dirsync::config::Environment;
using dirsync::config::load_config;
using dirsync::config::parse_config;
using dirsync::config::SecretUse;
using namespace std::chrono_literals;

namespace {

constexpr const char* k_secret = "s3cr3t-Value-0123456789";

Environment env_with_secret()
{
  Environment env;
  env.app_secret = k_secret;
  return env;
}

// The problems parse_config reports for `yaml` (read as "dirsync.yaml"); fails the test if it
// accepts the text.
std::vector<std::string> problems_of(const std::string& yaml, const Environment& env = env_with_secret())
{
  try {
    parse_config(yaml, "dirsync.yaml", env);
  } catch (const ConfigError& e) {
    return e.problems();
  }
  FAIL("the configuration was accepted:\n" << yaml);
  return {};
}

// The single problem reported for `yaml`.
std::string problem_of(const std::string& yaml, const Environment& env = env_with_secret())
{
  const auto problems = problems_of(yaml, env);
  REQUIRE(problems.size() == 1);
  return problems.front();
}

const std::string k_minimal = "feishu:\n  app_id: cli_test\n";

void chmod(const std::filesystem::path& path, std::filesystem::perms perms)
{
  std::filesystem::permissions(path, perms, std::filesystem::perm_options::replace);
}

constexpr auto k_owner_rw = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;

} // namespace

TEST_CASE("load_config reads every section of a complete file", "[config]")
{
  dirsync::testing::ScratchDir dir;
  const auto secret = dir.write("conf/secrets/app_secret", "file-secret\n");
  chmod(secret, k_owner_rw);
  const auto file = dir.write("conf/dirsync.yaml", R"(
feishu:
  base_url: https://open.larksuite.com/
  app_id: cli_a1b2c3d4e5f6a7b8
  app_secret_file: secrets/app_secret
  timeout: 1m30s
  max_in_flight: 16
  max_attempts: 3
  rate_limits:
    user_create: [20/s, 500/min]
    job_title_list: 5/h
storage:
  database: state/mirror.db
sync:
  refresh_interval: 1h
  scope: { departments: ["0", od-123], exclude_departments: [od-999] }
  apply_mode: manual
  drift: report
  owned_fields: [name, email]
  leaver: { action: freeze, acceptor: "", fallback_acceptor: "E0001" }
  rehire: { resurrect_within_days: 7 }
  future_hires: { pre_start_days: 3 }
  safety:
    max_deletes: 0
    max_deletes_percent: 2.5
    max_source_shrink_percent: 20
    max_mirror_shrink_percent: 15%
    protected_users: [ou_abc, 007]
    hold_first_plan: false
hr:
  inbox: /srv/hr/inbox
  archive: ../archive
  rejected: rejected
  mode: delta
  format: jsonl
  encoding: gb18030
  default_region: sg
  department_key: department_id
  department_separator: " > "
  columns: { employee_no: EmpNo, name: Name, mobile: Mobile, department: Dept, gender: Sex }
  values:
    gender: { M: 1, F: 2 }
server:
  listen: ""
logging:
  level: debug
)");
  const Config c = load_config(file, Environment{});
  const auto conf_dir = dir.path() / "conf";

  CHECK(c.source == file);
  CHECK(c.feishu.base_url == "https://open.larksuite.com");
  CHECK(c.feishu.app_id == "cli_a1b2c3d4e5f6a7b8");
  CHECK(c.feishu.app_secret_file == conf_dir / "secrets/app_secret");
  CHECK(c.feishu.app_secret == "file-secret");
  CHECK(c.feishu.app_secret_source == "file " + (conf_dir / "secrets/app_secret").string());
  CHECK(c.feishu.timeout == 90s);
  CHECK(c.feishu.max_in_flight == 16);
  CHECK(c.feishu.max_attempts == 3);
  REQUIRE(c.feishu.rate_limits.size() == 2);
  const auto& create = c.feishu.rate_limits.at("user_create");
  REQUIRE(create.size() == 2);
  CHECK(create[0].requests == 20);
  CHECK(create[0].per == 1s);
  CHECK(create[1].requests == 500);
  CHECK(create[1].per == 60s);
  const auto& titles = c.feishu.rate_limits.at("job_title_list");
  REQUIRE(titles.size() == 1);
  CHECK(titles[0].requests == 5);
  CHECK(titles[0].per == 3600s);

  CHECK(c.storage.database == conf_dir / "state/mirror.db");

  CHECK(c.sync.refresh_interval == 3600s);
  CHECK(c.sync.scope.departments == std::vector<std::string>{"0", "od-123"});
  CHECK(c.sync.scope.exclude_departments == std::vector<std::string>{"od-999"});
  CHECK(c.sync.apply_mode == dirsync::config::ApplyMode::manual);
  CHECK(c.sync.drift == dirsync::config::DriftPolicy::report);
  CHECK(c.sync.owned_fields == std::vector<std::string>{"name", "email"});
  CHECK(c.sync.leaver.action == dirsync::config::LeaverAction::freeze);
  CHECK(c.sync.leaver.acceptor.empty());
  CHECK(c.sync.leaver.fallback_acceptor == "E0001");
  CHECK(c.sync.rehire.resurrect_within_days == 7);
  CHECK(c.sync.future_hires.pre_start_days == 3);
  CHECK(c.sync.safety.max_deletes == 0);
  CHECK(c.sync.safety.max_deletes_percent == 2.5);
  CHECK(c.sync.safety.max_source_shrink_percent == 20);
  CHECK(c.sync.safety.max_mirror_shrink_percent == 15);
  CHECK(c.sync.safety.protected_users == std::vector<std::string>{"ou_abc", "007"});
  CHECK_FALSE(c.sync.safety.hold_first_plan);

  CHECK(c.hr.inbox == "/srv/hr/inbox");
  CHECK(c.hr.archive == dir.path() / "archive");
  CHECK(c.hr.rejected == conf_dir / "rejected");
  CHECK(c.hr.mode == dirsync::config::HrMode::delta);
  CHECK(c.hr.format == dirsync::config::HrFormat::jsonl);
  CHECK(c.hr.encoding == dirsync::config::HrEncoding::gb18030);
  CHECK(c.hr.default_region == "SG");
  CHECK(c.hr.department_key == dirsync::config::DepartmentKey::department_id);
  CHECK(c.hr.department_separator == " > ");
  // A given hr.columns replaces the default mapping as a whole.
  CHECK(c.hr.columns == std::map<std::string, std::string>{{"employee_no", "EmpNo"},
                                                           {"name", "Name"},
                                                           {"mobile", "Mobile"},
                                                           {"department", "Dept"},
                                                           {"gender", "Sex"}});
  // A given hr.values field replaces that field's map; the others keep their defaults.
  CHECK(c.hr.values.at("gender") == std::map<std::string, std::string>{{"M", "1"}, {"F", "2"}});
  CHECK(c.hr.values.at("status").at("离职") == "terminated");
  CHECK(c.hr.values.at("employee_type").at("正式") == "1");

  CHECK(c.server.listen.empty());
  CHECK(c.logging.level == "debug");
}

TEST_CASE("load_config gives every key left out its default", "[config]")
{
  const Config c = parse_config("feishu:\n  app_id: cli_test\nstorage:\nsync:\n  # all commented out\n",
                                "/etc/dirsync/dirsync.yaml", env_with_secret());
  const Config defaults;
  CHECK(c.feishu.base_url == "https://open.feishu.cn");
  CHECK(c.feishu.timeout == 10s);
  CHECK(c.feishu.max_in_flight == defaults.feishu.max_in_flight);
  CHECK(c.feishu.rate_limits.empty());
  CHECK(c.storage.database == "/var/lib/dirsync/mirror.db");
  CHECK(c.sync.refresh_interval == 15min);
  CHECK(c.sync.scope.departments == std::vector<std::string>{"0"});
  CHECK(c.sync.owned_fields == defaults.sync.owned_fields);
  CHECK(c.sync.safety.max_deletes == 20);
  CHECK(c.sync.safety.hold_first_plan);
  CHECK(c.hr.inbox == "/var/lib/dirsync/inbox");
  CHECK(c.hr.columns == defaults.hr.columns);
  CHECK(c.hr.values == defaults.hr.values);
  CHECK(c.server.listen == "127.0.0.1:9464");
  CHECK(c.logging.level == "info");
}

TEST_CASE("load_config reports a YAML syntax error with its position", "[config]")
{
  CHECK(problem_of("feishu:\n  app_id: cli_test\n  base_url: x\n   timeout: 5s\n") ==
        "dirsync.yaml:4:11: not valid YAML: illegal map value");
  CHECK(problem_of("feishu:\n  app_id: [cli_test\nsync: {}\n") ==
        "dirsync.yaml:3:5: not valid YAML: end of sequence flow not found");
  CHECK(problem_of("feishu:\n\tapp_id: cli_test\n") ==
        "dirsync.yaml:2:8: not valid YAML: illegal map value (indent with spaces, not tabs)");
}

TEST_CASE("load_config rejects unknown keys with their position and a suggestion", "[config]")
{
  SECTION("a close misspelling gets a did-you-mean")
  {
    CHECK(problem_of(k_minimal + "sync:\n  refresh_intervall: 1m\n") ==
          "dirsync.yaml:4:3: sync.refresh_intervall: unknown key (did you mean `refresh_interval`?)");
    CHECK(problem_of(k_minimal + "loging:\n  level: info\n") ==
          "dirsync.yaml:3:1: loging: unknown key (did you mean `logging`?)");
    CHECK(problem_of(k_minimal + "sync:\n  safety: { max_delete: 3 }\n") ==
          "dirsync.yaml:4:13: sync.safety.max_delete: unknown key (did you mean `max_deletes`?)");
  }
  SECTION("a key far from every known one lists them")
  {
    CHECK(problem_of(k_minimal + "storage:\n  path: /x\n") ==
          "dirsync.yaml:4:3: storage.path: unknown key (expected one of: database)");
  }
  SECTION("an unknown HR field in hr.columns")
  {
    CHECK(problem_of(k_minimal + "hr:\n  columns:\n    employee_no: a\n    name: b\n    department: c\n"
                                 "    email: d\n    emial: e\n") ==
          "dirsync.yaml:9:5: hr.columns.emial: unknown key (did you mean `email`?)");
  }
  SECTION("a key given twice")
  {
    CHECK(problem_of(k_minimal + "  app_id: cli_other\n") ==
          "dirsync.yaml:3:3: feishu.app_id: duplicate key (first given at line 2, column 3)");
  }
}

TEST_CASE("load_config rejects values of the wrong type", "[config]")
{
  CHECK(problem_of(k_minimal + "storage:\n  database: [a, b]\n") ==
        "dirsync.yaml:4:3: storage.database: must be a path (got a list)");
  CHECK(problem_of(k_minimal + "  max_in_flight: abc\n") ==
        "dirsync.yaml:3:3: feishu.max_in_flight: must be a whole number (got \"abc\")");
  CHECK(problem_of(k_minimal + "  max_in_flight: 2.5\n") ==
        "dirsync.yaml:3:3: feishu.max_in_flight: must be a whole number (got \"2.5\")");
  CHECK(problem_of(k_minimal + "sync:\n  scope:\n    departments: \"0\"\n") ==
        "dirsync.yaml:5:5: sync.scope.departments: must be a list such as [a, b] (got \"0\")");
  CHECK(problem_of(k_minimal + "sync:\n  safety:\n    hold_first_plan: maybe\n") ==
        "dirsync.yaml:5:5: sync.safety.hold_first_plan: must be true or false (got \"maybe\")");
  CHECK(problem_of(k_minimal + "sync: fast\n") ==
        "dirsync.yaml:3:1: sync: must be a mapping (got \"fast\")");
  CHECK(problem_of(k_minimal + "logging:\n  level:\n") ==
        "dirsync.yaml:4:3: logging.level: must be a log level (got nothing)");
  CHECK(problem_of(k_minimal + "sync:\n  owned_fields: [name, {a: b}]\n") ==
        "dirsync.yaml:4:24: sync.owned_fields[1]: must be a non-empty string (got a mapping)");
}

TEST_CASE("load_config reads durations and rejects bad ones", "[config]")
{
  CHECK(parse_config(k_minimal + "  timeout: 500ms\n", "d.yaml", env_with_secret()).feishu.timeout == 500ms);
  CHECK(parse_config(k_minimal + "sync:\n  refresh_interval: 1h30m\n", "d.yaml", env_with_secret())
          .sync.refresh_interval == 90min);

  CHECK(problem_of(k_minimal + "sync:\n  refresh_interval: 5s\n") ==
        "dirsync.yaml:4:3: sync.refresh_interval: must be at least 30s (got \"5s\")");
  CHECK(problem_of(k_minimal + "sync:\n  refresh_interval: 15\n") ==
        "dirsync.yaml:4:3: sync.refresh_interval: must be a duration such as 500ms, 30s, 15m, 1h or "
        "1h30m (got \"15\")");
  CHECK(problem_of(k_minimal + "  timeout: ten seconds\n") ==
        "dirsync.yaml:3:3: feishu.timeout: must be a duration such as 500ms, 30s, 15m, 1h or 1h30m "
        "(got \"ten seconds\")");
  CHECK(problem_of(k_minimal + "sync:\n  refresh_interval: 30s500ms\n") ==
        "dirsync.yaml:4:3: sync.refresh_interval: must be a whole number of seconds (got \"30s500ms\")");
  CHECK(problem_of(k_minimal + "sync:\n  refresh_interval: 8d\n") ==
        "dirsync.yaml:4:3: sync.refresh_interval: must be a duration such as 500ms, 30s, 15m, 1h or "
        "1h30m (got \"8d\")");
  CHECK(problem_of(k_minimal + "sync:\n  refresh_interval: 169h\n") ==
        "dirsync.yaml:4:3: sync.refresh_interval: must be at most 168h (got \"169h\")");
  CHECK(problem_of(k_minimal + "  timeout: 0s\n") ==
        "dirsync.yaml:3:3: feishu.timeout: must be more than 0s (got \"0s\")");
  CHECK(problem_of(k_minimal + "  timeout: 11m\n") ==
        "dirsync.yaml:3:3: feishu.timeout: must be at most 10m (got \"11m\")");
}

TEST_CASE("load_config rejects values out of their bounds", "[config]")
{
  CHECK(problem_of(k_minimal + "  max_in_flight: 0\n") ==
        "dirsync.yaml:3:3: feishu.max_in_flight: must be between 1 and 64 (got \"0\")");
  CHECK(problem_of(k_minimal + "  max_in_flight: 65\n") ==
        "dirsync.yaml:3:3: feishu.max_in_flight: must be between 1 and 64 (got \"65\")");
  CHECK(problem_of(k_minimal + "sync:\n  safety:\n    max_deletes: -1\n") ==
        "dirsync.yaml:5:5: sync.safety.max_deletes: must be at least 0 (got \"-1\")");
  CHECK(problem_of(k_minimal + "sync:\n  safety:\n    max_deletes_percent: 100.5\n") ==
        "dirsync.yaml:5:5: sync.safety.max_deletes_percent: must be between 0 and 100 (got \"100.5\")");
  CHECK(problem_of(k_minimal + "sync:\n  rehire: { resurrect_within_days: 31 }\n") ==
        "dirsync.yaml:4:13: sync.rehire.resurrect_within_days: must be between 0 and 30 (got \"31\")");
  CHECK(problem_of(k_minimal + "sync:\n  scope: { departments: [] }\n") ==
        "dirsync.yaml:4:12: sync.scope.departments: must list at least one department (\"0\" is the "
        "whole tenant)");
  CHECK(problem_of(k_minimal + "  rate_limits: { user_create: [50/s, 0/min] }\n") ==
        "dirsync.yaml:3:38: feishu.rate_limits.user_create[1]: must be a rate such as 50/s, 1000/min or "
        "100/h (got \"0/min\")");
  CHECK(problem_of(k_minimal + "hr:\n  default_region: CHN\n") ==
        "dirsync.yaml:4:3: hr.default_region: must be a two-letter region code such as CN (got \"CHN\")");
  CHECK(problem_of(k_minimal + "hr:\n  values: { gender: { 男: 1, 女: 4 } }\n") ==
        "dirsync.yaml:4:29: hr.values.gender.女: must be a Feishu gender: 0 (unknown), 1 (male), "
        "2 (female) or 3 (other) (got \"4\")");
  CHECK(problem_of(k_minimal + "hr:\n  values: { employee_type: { 正式: full } }\n") ==
        "dirsync.yaml:4:30: hr.values.employee_type.正式: must be a Feishu employee type, a whole number "
        "from 1 (1 full-time, 2 intern, 3 outsourced, 4 contractor, 5 consultant, or a tenant-defined "
        "type) (got \"full\")");
  CHECK(problem_of(k_minimal + "server:\n  listen: 9464\n") ==
        "dirsync.yaml:4:3: server.listen: must be HOST:PORT such as 127.0.0.1:9464, or \"\" to disable "
        "(got \"9464\")");
  CHECK(problem_of(k_minimal + "server:\n  listen: 127.0.0.1:70000\n") ==
        "dirsync.yaml:4:3: server.listen: must be HOST:PORT such as 127.0.0.1:9464, or \"\" to disable "
        "(got \"127.0.0.1:70000\")");
}

TEST_CASE("load_config rejects values outside their enumeration", "[config]")
{
  CHECK(problem_of(k_minimal + "sync:\n  apply_mode: automatic\n") ==
        "dirsync.yaml:4:3: sync.apply_mode: must be `auto` or `manual` (got \"automatic\")");
  CHECK(problem_of(k_minimal + "sync:\n  leaver: { action: disable }\n") ==
        "dirsync.yaml:4:13: sync.leaver.action: must be `delete` or `freeze` (got \"disable\")");
  CHECK(problem_of(k_minimal + "hr:\n  encoding: gbk\n") ==
        "dirsync.yaml:4:3: hr.encoding: must be `auto`, `utf-8` or `gb18030` (got \"gbk\")");
  CHECK(problem_of(k_minimal + "hr:\n  format: xlsx\n") ==
        "dirsync.yaml:4:3: hr.format: must be `auto`, `csv`, `json` or `jsonl` (got \"xlsx\")");
  CHECK(problem_of(k_minimal + "logging:\n  level: verbose\n") ==
        "dirsync.yaml:4:3: logging.level: must be `trace`, `debug`, `info`, `warn`, `error`, `critical` "
        "or `off` (got \"verbose\")");
  CHECK(problem_of(k_minimal + "sync:\n  owned_fields: [name, gender]\n") ==
        "dirsync.yaml:4:24: sync.owned_fields[1]: unknown field \"gender\" (expected one of: name, en_name, "
        "email, mobile, department, job_title, leader, employee_type, join_time, city, work_station)");
  CHECK(problem_of(k_minimal + "hr:\n  values: { status: { 在职: working } }\n") ==
        "dirsync.yaml:4:23: hr.values.status.在职: must be `active` or `terminated` (got \"working\")");
}

TEST_CASE("load_config reports missing required keys at their section", "[config]")
{
  CHECK(problem_of("feishu:\n  base_url: https://open.feishu.cn\n") ==
        "dirsync.yaml:1:1: feishu.app_id: is required (the App ID of the Feishu app, such as "
        "cli_a1b2c3d4e5f6a7b8)");
  CHECK(problem_of("") ==
        "dirsync.yaml:1:1: feishu.app_id: is required (the App ID of the Feishu app, such as "
        "cli_a1b2c3d4e5f6a7b8)");
  CHECK(problems_of(k_minimal + "hr:\n  columns:\n    name: 姓名\n    job_title: 职务\n") ==
        std::vector<std::string>{
          "dirsync.yaml:4:3: hr.columns.employee_no: is required (the HR column that holds it)",
          "dirsync.yaml:4:3: hr.columns.department: is required (the HR column that holds it)",
          "dirsync.yaml:4:3: hr.columns: must map `email` or `mobile` (or both): every user needs one"});
}

TEST_CASE("load_config accepts https anywhere and http only to a loopback host", "[config]")
{
  const auto base_url = [](const std::string& url) {
    return parse_config(k_minimal + "  base_url: " + url + "\n", "d.yaml", env_with_secret()).feishu.base_url;
  };
  CHECK(base_url("https://open.feishu.cn") == "https://open.feishu.cn");
  CHECK(base_url("https://proxy.example.com:8443/feishu/") == "https://proxy.example.com:8443/feishu");
  CHECK(base_url("http://127.0.0.1:18080") == "http://127.0.0.1:18080");
  CHECK(base_url("http://127.1.2.3:18080") == "http://127.1.2.3:18080");
  CHECK(base_url("http://localhost:18080") == "http://localhost:18080");
  CHECK(base_url("http://[::1]:18080") == "http://[::1]:18080");

  CHECK(problem_of(k_minimal + "  base_url: http://open.feishu.cn\n") ==
        "dirsync.yaml:3:3: feishu.base_url: must use https:// (plain http:// is allowed only to a loopback "
        "host such as 127.0.0.1, localhost or [::1], for the emulator) (got \"http://open.feishu.cn\")");
  CHECK(problem_of(k_minimal + "  base_url: http://10.0.0.5:18080\n") ==
        "dirsync.yaml:3:3: feishu.base_url: must use https:// (plain http:// is allowed only to a loopback "
        "host such as 127.0.0.1, localhost or [::1], for the emulator) (got \"http://10.0.0.5:18080\")");
  CHECK(problem_of(k_minimal + "  base_url: open.feishu.cn\n") ==
        "dirsync.yaml:3:3: feishu.base_url: must start with https:// (e.g. https://open.feishu.cn) "
        "(got \"open.feishu.cn\")");
}

TEST_CASE("load_config takes the app secret from the file, the credential, then the environment", "[config]")
{
  dirsync::testing::ScratchDir dir;
  const auto file_secret = dir.write("app_secret", "from-file\n");
  chmod(file_secret, k_owner_rw);
  dir.write("credentials/app_secret", "from-credential");
  const std::string with_file = k_minimal + "  app_secret_file: app_secret\n";
  const auto config_file = dir / "dirsync.yaml";

  Environment env;
  env.credentials_directory = (dir / "credentials").string();
  env.app_secret = "from-environment";

  SECTION("app_secret_file comes first, its trailing newline trimmed")
  {
    const Config c = parse_config(with_file, config_file, env);
    CHECK(c.feishu.app_secret == "from-file");
    CHECK(c.feishu.app_secret_source == "file " + file_secret.string());
  }
  SECTION("then $CREDENTIALS_DIRECTORY/app_secret")
  {
    const Config c = parse_config(k_minimal, config_file, env);
    CHECK(c.feishu.app_secret == "from-credential");
    CHECK(c.feishu.app_secret_source == "systemd credential " + (dir / "credentials/app_secret").string());
  }
  SECTION("then DIRSYNC_APP_SECRET, also when the credentials directory lacks app_secret")
  {
    env.credentials_directory = dir.path().string() + "/no-such-dir";
    const Config c = parse_config(k_minimal, config_file, env);
    CHECK(c.feishu.app_secret == "from-environment");
    CHECK(c.feishu.app_secret_source == "environment variable DIRSYNC_APP_SECRET");
  }
  SECTION("none of the three is a problem that names all three")
  {
    CHECK(problem_of(k_minimal, Environment{}) ==
          "dirsync.yaml:1:1: feishu: no app secret found (set feishu.app_secret_file to a file holding it, "
          "or pass the systemd credential app_secret (LoadCredential=app_secret:FILE), or set the "
          "environment variable DIRSYNC_APP_SECRET)");
  }
  SECTION("none of the three is fine for a command that does not talk to Feishu")
  {
    const Config c = parse_config(k_minimal, config_file, Environment{}, SecretUse::optional);
    CHECK(c.feishu.app_secret.empty());
  }
  SECTION("a named file that cannot be used is a problem even when the secret is optional")
  {
    CHECK_THROWS_WITH(parse_config(k_minimal + "  app_secret_file: " + (dir / "missing").string() + "\n",
                                   config_file, Environment{}, SecretUse::optional),
                      Catch::Contains("feishu.app_secret_file: cannot read"));
  }
  SECTION("a named file that cannot be used is a problem even when the environment has a secret")
  {
    CHECK(problem_of(k_minimal + "  app_secret_file: " + (dir / "missing").string() + "\n", env) ==
          "dirsync.yaml:3:3: feishu.app_secret_file: cannot read " + (dir / "missing").string() +
            ": No such file or directory");
  }
}

TEST_CASE("load_config refuses a secret file that group or others can read", "[config]")
{
  dirsync::testing::ScratchDir dir;
  const auto secret = dir.write("app_secret", std::string(k_secret) + "\n");
  const std::string yaml = k_minimal + "  app_secret_file: " + secret.string() + "\n";

  chmod(secret, k_owner_rw | std::filesystem::perms::group_read | std::filesystem::perms::others_read);
  CHECK(problem_of(yaml, Environment{}) ==
        "dirsync.yaml:3:3: feishu.app_secret_file: " + secret.string() +
          " is accessible by group or others (mode 0644); the app secret must be readable by its owner "
          "only: run chmod 600 " + secret.string());
  chmod(secret, k_owner_rw | std::filesystem::perms::group_write);
  CHECK(problem_of(yaml, Environment{}).find("(mode 0620)") != std::string::npos);

  chmod(secret, std::filesystem::perms::owner_read);
  CHECK(parse_config(yaml, "dirsync.yaml", Environment{}).feishu.app_secret == k_secret);
}

TEST_CASE("load_config never shows the app secret in a message", "[config]")
{
  dirsync::testing::ScratchDir dir;
  const auto insecure = dir.write("insecure_secret", k_secret);
  chmod(insecure, std::filesystem::perms::all);
  const auto empty_lines = dir.write("two_lines", std::string(k_secret) + "\nmore\n");
  chmod(empty_lines, k_owner_rw);

  // The secret where it does not belong, next to other mistakes, with every source of it in play.
  const std::string yaml = std::string("feishu:\n") +
                           "  app_id: " + k_secret + "\n" +
                           "  app_secret: " + k_secret + "\n" +
                           "  secret: " + k_secret + "\n" +
                           "  app_secret_file: " + insecure.string() + "\n" +
                           "  timeout: " + k_secret + "\n" +
                           "hr:\n" +
                           "  columns: { " + k_secret + ": x }\n" +
                           "  values: { status: { " + k_secret + ": x } }\n" +
                           k_secret + ": " + k_secret + "\n";
  Environment env = env_with_secret();
  env.credentials_directory = dir.path().string();
  const auto problems = problems_of(yaml, env);
  // app_id, app_secret, secret, app_secret_file, timeout, the unknown column, the columns then
  // missing (3 required + email/mobile), the status value, the unknown top-level key.
  CHECK(problems.size() == 12);

  const auto two_lines = problems_of(k_minimal + "  app_secret_file: " + empty_lines.string() + "\n", env);
  CHECK(two_lines.size() == 1);

  for (const auto& p : problems) {
    INFO(p);
    CHECK(p.find(k_secret) == std::string::npos);
    CHECK(p.find("s3cr3t") == std::string::npos);
  }
  for (const auto& p : two_lines) {
    INFO(p);
    CHECK(p.find("s3cr3t") == std::string::npos);
  }
}

TEST_CASE("load_config reports all problems at once, in file order", "[config]")
{
  const auto problems = problems_of(R"(feishu:
  base_url: http://example.com
  timout: 5s
sync:
  refresh_interval: 5s
  apply_mode: sometimes
hr:
  mode: partial
)");
  CHECK(problems == std::vector<std::string>{
                      "dirsync.yaml:1:1: feishu.app_id: is required (the App ID of the Feishu app, such as "
                      "cli_a1b2c3d4e5f6a7b8)",
                      "dirsync.yaml:2:3: feishu.base_url: must use https:// (plain http:// is allowed only to "
                      "a loopback host such as 127.0.0.1, localhost or [::1], for the emulator) (got "
                      "\"http://example.com\")",
                      "dirsync.yaml:3:3: feishu.timout: unknown key (did you mean `timeout`?)",
                      "dirsync.yaml:5:3: sync.refresh_interval: must be at least 30s (got \"5s\")",
                      "dirsync.yaml:6:3: sync.apply_mode: must be `auto` or `manual` (got \"sometimes\")",
                      "dirsync.yaml:8:3: hr.mode: must be `full` or `delta` (got \"partial\")"});
}

TEST_CASE("load_config resolves relative paths against the file's directory", "[config]")
{
  const Config c = parse_config(k_minimal + "storage:\n  database: state/../db/mirror.db\n"
                                            "hr:\n  inbox: in\n  archive: /abs/archive\n  rejected: ./rej\n",
                                "/etc/dirsync/dirsync.yaml", env_with_secret());
  CHECK(c.storage.database == "/etc/dirsync/db/mirror.db");
  CHECK(c.hr.inbox == "/etc/dirsync/in");
  CHECK(c.hr.archive == "/abs/archive");
  CHECK(c.hr.rejected == "/etc/dirsync/rej");

  const Config relative = parse_config(k_minimal + "storage:\n  database: mirror.db\n", "conf/dirsync.yaml",
                                       env_with_secret());
  CHECK(relative.storage.database == std::filesystem::current_path() / "conf/mirror.db");
}

TEST_CASE("load_config names a configuration file it cannot read", "[config]")
{
  dirsync::testing::ScratchDir dir;
  try {
    load_config(dir / "nope.yaml", Environment{});
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(e.problems() == std::vector<std::string>{(dir / "nope.yaml").string() +
                                                   ": cannot read the configuration file: No such file or "
                                                   "directory"});
  }
}

TEST_CASE("load_config warns about a status server on a non-loopback address", "[config]")
{
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(
    std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_st>(log)));
  const Config open = parse_config(k_minimal + "server:\n  listen: 0.0.0.0:9464\n", "d.yaml", env_with_secret());
  const std::string warned = log.str();
  log.str("");
  parse_config(k_minimal + "server:\n  listen: \"[::1]:9464\"\n", "d.yaml", env_with_secret());
  const std::string quiet = log.str();
  spdlog::set_default_logger(previous);

  CHECK(open.server.listen == "0.0.0.0:9464");
  CHECK(warned.find("server.listen 0.0.0.0:9464 is not a loopback address") != std::string::npos);
  CHECK(quiet.empty());
}
