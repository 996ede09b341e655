// apply_plan against the real feishu-emulator: what the tenant looks like afterwards (read from
// /_emulator/state), what the journal recorded, and what the mirror was told. The mirror here is a
// map (MemoryMirror); the one backed by the database is tested in test_stored_mirror.cpp and end to
// end by the CLI tests.
#include "sync/apply.hpp"

#include "common/error.hpp"
#include "feishu/cpprest_transport.hpp"
#include "storage/journal.hpp"
#include "sync/operation_request.hpp"
#include "support/emulator_process.hpp"
#include "support/journal_fixtures.hpp"
#include "support/scratch_dir.hpp"
#include "support/tenant_generator.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <map>
#include <set>

using namespace dirsync;
using namespace dirsync::testing;
using namespace std::chrono_literals;
using storage::OperationKind;
using storage::OperationState;
using storage::PlanStatus;

namespace {

class MemoryMirror : public sync::ApplyMirror
{
public:
  std::optional<feishu::User> find_user(const std::string& open_id) override
  {
    const auto it = users.find(open_id);
    return it == users.end() ? std::nullopt : std::optional<feishu::User>(it->second);
  }
  std::optional<std::string> find_linked_open_id(const std::string& employee_no) override
  {
    const auto it = links.find(employee_no);
    return it == links.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  void record_user(const feishu::User& user, std::int64_t) override { users[user.open_id] = user; }
  void record_resigned(const std::string& open_id, std::int64_t) override
  {
    users[open_id].status.is_resigned = true;
    resigned.insert(open_id);
  }
  void record_link(const std::string& employee_no, const std::string& open_id, storage::LinkMethod method,
                   std::int64_t, std::int64_t) override
  {
    links[employee_no] = open_id;
    link_methods[employee_no] = method;
  }
  void record_resurrect_refused(const std::string& open_id, long long code) override
  {
    resurrect_refused[open_id] = code;
  }

  std::map<std::string, feishu::User> users;
  std::map<std::string, long long> resurrect_refused;
  std::map<std::string, std::string> links;
  std::map<std::string, storage::LinkMethod> link_methods;
  std::set<std::string> resigned;
};

config::FeishuConfig feishu_config(const EmulatorProcess& emulator)
{
  config::FeishuConfig c;
  c.base_url = emulator.base_url();
  c.app_id = "cli_test";
  c.app_secret = "test-secret";
  c.timeout = 5s;
  c.max_attempts = 6;
  return c;
}

feishu::ClientHooks quick_retries()
{
  feishu::ClientHooks hooks;
  hooks.random_seed = 11;
  hooks.initial_backoff = 5ms;
  hooks.max_backoff = 40ms;
  return hooks;
}

// An emulator with a generated tenant, a database, a client and a mirror that knows every user.
struct Rig
{
  explicit Rig(std::vector<std::string> emulator_args = {}, std::size_t users = 20, std::size_t resigned = 0)
    : emulator(make_seed(users, resigned), std::move(emulator_args)),
      db(dir / "mirror.db"),
      client(feishu_config(emulator), feishu::make_cpprest_transport(emulator.base_url()), quick_retries())
  {
    auto state = emulator.state();
    for (const auto& d : state["departments"].as_array()) {
      open_department[d.get_string("department_id")] = d.get_string("open_department_id");
    }
    for (const auto& u : state["users"].as_array()) {
      auto user = client.get_user(u.get_string("open_id"));
      open_id[user.employee_no] = user.open_id;
      mirror.users[user.open_id] = user;
      mirror.links[user.employee_no] = user.open_id;
    }
  }

  static json::Value make_seed(std::size_t users, std::size_t resigned)
  {
    TenantShape shape;
    shape.users = users;
    shape.departments = 4;
    shape.resigned = resigned;
    return generate_tenant(shape);
  }

  // The emulator's users by employee number (resigned ones included).
  std::multimap<std::string, json::Value> state_users() const
  {
    std::multimap<std::string, json::Value> out;
    auto state = emulator.state();
    for (const auto& u : state["users"].as_array()) {
      out.emplace(u.get_string("employee_no"), u);
    }
    return out;
  }

  sync::ApplySummary apply(std::int64_t plan_id, int max_in_flight = 4)
  {
    sync::ApplyOptions options;
    options.max_in_flight = max_in_flight;
    return sync::apply_plan(db, client, mirror, plan_id, options);
  }

  ScratchDir dir;
  EmulatorProcess emulator;
  storage::Database db;
  feishu::Client client;
  MemoryMirror mirror;
  std::map<std::string, std::string> open_department; // D0001 -> od-...
  std::map<std::string, std::string> open_id;         // employee_no -> open_id
};

storage::Operation create_op(int seq, int n, const std::string& department_open_id)
{
  storage::Operation op;
  op.seq = seq;
  op.kind = OperationKind::create;
  op.employee_no = fmt::format("N{:05d}", n);
  op.client_token = fmt::format("00000000-0000-4000-8000-{:012d}", n);
  op.reason = "new in HR";
  op.payload = json::Value::object({{"name", fmt::format("新人{}", n)},
                                    {"department_ids", json::Value::string_array({department_open_id})},
                                    {"employee_type", 1},
                                    {"mobile", fmt::format("+86137{:08d}", n)},
                                    {"email", fmt::format("n{:05d}@example.com", n)},
                                    {"employee_no", op.employee_no},
                                    {"job_title", "工程师"}});
  return op;
}

storage::Operation update_op(int seq, const std::string& employee_no, const std::string& open_id,
                             json::Value payload, json::Value precondition)
{
  storage::Operation op;
  op.seq = seq;
  op.kind = OperationKind::update;
  op.employee_no = employee_no;
  op.open_id = open_id;
  op.reason = "changed in HR";
  op.payload = std::move(payload);
  op.precondition = std::move(precondition);
  return op;
}

storage::Plan approved(std::vector<storage::Operation> ops)
{
  storage::Plan plan;
  plan.status = PlanStatus::approved;
  plan.operations = std::move(ops);
  return plan;
}

} // namespace

TEST_CASE("apply_plan carries out creates, updates, set_leader and deletes, and the tenant ends as planned",
          "[sync][apply][emulator]")
{
  Rig rig;
  const auto d1 = rig.open_department.at("D0001");
  const auto d2 = rig.open_department.at("D0002");
  const auto leaver = rig.open_id.at("E000010");
  const auto docs_acceptor = rig.open_id.at("E000002");
  std::vector<storage::Operation> ops;
  ops.push_back(create_op(1, 1, d1));
  ops.push_back(create_op(2, 2, d1));
  // A mover: department and job title; the precondition is what the mirror says now.
  ops.push_back(update_op(3, "E000005", rig.open_id.at("E000005"),
                          json::Value::object({{"department_ids", json::Value::string_array({d2})},
                                               {"job_title", "架构师"}}),
                          json::Value::object({{"department_ids", json::Value::string_array({d1})},
                                               {"job_title", "工程师"}})));
  storage::Operation set_leader;
  set_leader.seq = 4;
  set_leader.kind = OperationKind::set_leader;
  set_leader.employee_no = "N00002";
  set_leader.payload = json::Value::object({{"leader_employee_no", "N00001"}});
  ops.push_back(set_leader);
  storage::Operation del;
  del.seq = 5;
  del.kind = OperationKind::delete_user;
  del.employee_no = "E000010";
  del.open_id = leaver;
  del.payload = json::Value::object({{"docs_acceptor_user_id", docs_acceptor}});
  del.precondition = json::Value::object({{"is_resigned", false}});
  ops.push_back(del);
  const auto plan_id = insert_plan(rig.db, approved(ops));

  const auto summary = rig.apply(plan_id);

  CHECK(summary.status == PlanStatus::done);
  CHECK(summary.tally.done == 5);
  CHECK_FALSE(summary.resumed);
  auto users = rig.state_users();
  REQUIRE(users.count("N00001") == 1);
  REQUIRE(users.count("N00002") == 1);
  auto& n1 = users.find("N00001")->second;
  auto& n2 = users.find("N00002")->second;
  CHECK(n1.get_string("email") == "n00001@example.com");
  CHECK(n1["department_ids"].as_array().at(0).as_string() == "D0001");
  CHECK(n2.get_string("leader_user_id") == n1.get_string("user_id"));
  auto& mover = users.find("E000005")->second;
  CHECK(mover["department_ids"].as_array().at(0).as_string() == "D0002");
  CHECK(mover.get_string("job_title") == "架构师");
  CHECK_FALSE(users.find("E000010")->second["resigned_at"].is_null());

  // The journal and the mirror followed.
  storage::Journal journal(rig.db);
  CHECK(journal.find_plan(plan_id)->status == PlanStatus::done);
  CHECK(operation_column(rig.db, plan_id, 1, "open_id") == n1.get_string("open_id"));
  CHECK(operation_column(rig.db, plan_id, 1, "attempts") == "1");
  CHECK(rig.mirror.links.at("N00001") == n1.get_string("open_id"));
  CHECK(rig.mirror.link_methods.at("N00001") == storage::LinkMethod::created);
  CHECK(rig.mirror.users.at(rig.open_id.at("E000005")).job_title == "架构师");
  CHECK(rig.mirror.resigned.count(leaver) == 1);
}

TEST_CASE("apply_plan skips an operation whose target changed since planning", "[sync][apply][emulator]")
{
  Rig rig;
  const auto target = rig.open_id.at("E000006");
  const auto plan_id = insert_plan(
    rig.db, approved({update_op(1, "E000006", target, json::Value::object({{"job_title", "架构师"}}),
                                json::Value::object({{"job_title", "经理"}}))}));

  const auto summary = rig.apply(plan_id);

  CHECK(summary.status == PlanStatus::done);
  CHECK(summary.tally.skipped == 1);
  CHECK(operation_column(rig.db, plan_id, 1, "state") == "skipped");
  CHECK_THAT(operation_column(rig.db, plan_id, 1, "msg"),
             Catch::Contains("job_title was \"经理\" when planned, is \"工程师\" now"));
  CHECK(rig.state_users().find("E000006")->second.get_string("job_title") == "工程师");
}

TEST_CASE("apply_plan fails one operation on a business error, goes on, and fails the plan", "[sync][apply][emulator]")
{
  Rig rig;
  const auto d1 = rig.open_department.at("D0001");
  // N00001 asks for an email E000003 holds: 41002.
  auto clash = create_op(2, 1, d1);
  clash.payload.set("email", "e000003@example.com");
  const auto plan_id = insert_plan(rig.db, approved({create_op(1, 2, d1), clash, create_op(3, 3, d1)}));

  const auto summary = rig.apply(plan_id);

  CHECK(summary.status == PlanStatus::failed);
  CHECK(summary.tally.done == 2);
  CHECK(summary.tally.failed == 1);
  CHECK(operation_column(rig.db, plan_id, 2, "state") == "failed");
  CHECK(operation_column(rig.db, plan_id, 2, "code") == "41002");
  CHECK(operation_column(rig.db, plan_id, 2, "http_status") == "400");
  CHECK(operation_column(rig.db, plan_id, 2, "log_id") != "NULL");
  const auto plan = storage::Journal(rig.db).find_plan(plan_id);
  CHECK(plan->status == PlanStatus::failed);
  CHECK(plan->error == fmt::format("1 of 3 operations failed (see v_failed_operations WHERE plan_id = {})", plan_id));
  CHECK(rig.state_users().count("N00001") == 0);
  CHECK(rig.state_users().count("N00003") == 1);
}

TEST_CASE("apply_plan resumes an in_flight create without making a second user", "[sync][apply][emulator]")
{
  Rig rig;
  const auto d1 = rig.open_department.at("D0001");
  const auto op = create_op(1, 7, d1);
  const auto plan_id = insert_plan(rig.db, approved({op, create_op(2, 8, d1)}));
  storage::Journal journal(rig.db);
  journal.begin_plan(plan_id, 1);
  const auto ops = journal.load_operations(plan_id);

  SECTION("the create had landed before the crash")
  {
    // The first run committed in_flight, sent the create, and died before recording the answer.
    journal.start(ops[0].id, 2);
    const auto landed = rig.client.create_user(sync::decode_user_create(op.payload), op.client_token);
    const auto summary = rig.apply(plan_id);
    CHECK(summary.resumed);
    CHECK(summary.status == PlanStatus::done);
    CHECK(operation_column(rig.db, plan_id, 1, "open_id") == landed.open_id);
    // Found by the look-up, not sent again: attempts counts sends.
    CHECK(operation_column(rig.db, plan_id, 1, "attempts") == "1");
  }
  SECTION("the create had not been sent")
  {
    journal.start(ops[0].id, 2);
    const auto summary = rig.apply(plan_id);
    CHECK(summary.status == PlanStatus::done);
    CHECK(operation_column(rig.db, plan_id, 1, "attempts") == "2");
  }
  auto users = rig.state_users();
  CHECK(users.count("N00007") == 1);
  CHECK(users.count("N00008") == 1);
  CHECK(rig.mirror.links.at("N00007") == users.find("N00007")->second.get_string("open_id"));
}

TEST_CASE("apply_plan counts an in_flight resurrect answered 44033 as landed", "[sync][apply][emulator]")
{
  Rig rig({}, 20, 2); // E000019 and E000020 resigned 10 days ago
  const auto target = rig.state_users().find("E000020")->second.get_string("open_id");
  storage::Operation op;
  op.seq = 1;
  op.kind = OperationKind::resurrect;
  op.employee_no = "E000020";
  op.open_id = target;
  op.payload = json::Value::object(
    {{"departments", json::Value(json::Array{json::Value::object({{"department_id", rig.open_department.at("D0004")}})})}});
  op.precondition = json::Value::object({{"is_resigned", true}});
  const auto plan_id = insert_plan(rig.db, approved({op}));
  storage::Journal journal(rig.db);
  journal.begin_plan(plan_id, 1);
  journal.start(journal.load_operations(plan_id).at(0).id, 2);
  rig.client.resurrect_user(target, sync::decode_user_resurrect(op.payload)); // landed, answer lost

  const auto summary = rig.apply(plan_id);

  CHECK(summary.status == PlanStatus::done);
  CHECK(operation_column(rig.db, plan_id, 1, "state") == "done");
  CHECK(rig.state_users().find("E000020")->second["resigned_at"].is_null());
  CHECK(rig.mirror.link_methods.at("E000020") == storage::LinkMethod::resurrected);
}

TEST_CASE("apply_plan refuses a held plan and names dirsync approve", "[sync][apply][emulator]")
{
  Rig rig;
  storage::Plan plan = approved({create_op(1, 1, rig.open_department.at("D0001"))});
  plan.status = PlanStatus::held;
  const auto plan_id = insert_plan(rig.db, plan);
  CHECK_THROWS_WITH(rig.apply(plan_id), Catch::Contains(fmt::format("dirsync approve {}", plan_id)));
  CHECK(rig.state_users().count("N00001") == 0);
}

TEST_CASE("apply_plan under 5xx, dropped connections, 429s and short-lived tokens makes every user exactly once",
          "[sync][apply][emulator][faults]")
{
  Rig rig({"--fail-rate", "0.15", "--drop-rate", "0.15", "--token-ttl", "8", "--rate-limit-scale", "0.4",
           "--random-seed", "5"});
  const auto d1 = rig.open_department.at("D0001");
  const auto d3 = rig.open_department.at("D0003");
  std::vector<storage::Operation> ops;
  for (int i = 1; i <= 120; ++i) {
    ops.push_back(create_op(i, i, i % 2 == 0 ? d1 : d3));
  }
  const auto plan_id = insert_plan(rig.db, approved(ops));

  const auto summary = rig.apply(plan_id, 8);

  CHECK(summary.tally.done == 120);
  CHECK(summary.status == PlanStatus::done);
  auto users = rig.state_users();
  for (int i = 1; i <= 120; ++i) {
    CHECK(users.count(fmt::format("N{:05d}", i)) == 1);
  }
  CHECK(users.size() == 20 + 120);
  std::set<std::string> emails;
  for (const auto& [no, u] : users) {
    CHECK(emails.insert(u.get_string("email")).second);
  }
}

TEST_CASE("apply_plan stops taking operations when asked, leaves the plan applying, and a later run finishes it",
          "[sync][apply][emulator]")
{
  Rig rig;
  const auto d1 = rig.open_department.at("D0001");
  std::vector<storage::Operation> ops;
  for (int i = 1; i <= 30; ++i) {
    ops.push_back(create_op(i, i, d1));
  }
  const auto plan_id = insert_plan(rig.db, approved(ops));
  std::atomic<bool> stop{false};
  sync::ApplyOptions options;
  options.max_in_flight = 2;
  options.stop = &stop;
  options.on_progress = [&](const sync::ApplyProgress& p) {
    if (p.finished >= 5) {
      stop = true;
    }
  };

  const auto first = sync::apply_plan(rig.db, rig.client, rig.mirror, plan_id, options);

  CHECK(first.stopped);
  CHECK(first.status == PlanStatus::applying);
  CHECK(first.tally.in_flight == 0); // those in progress were finished, not abandoned
  CHECK(first.tally.done >= 5);
  CHECK(first.tally.pending > 0);
  CHECK(storage::Journal(rig.db).find_plan(plan_id)->status == PlanStatus::applying);

  const auto second = rig.apply(plan_id);
  CHECK(second.resumed);
  CHECK(second.status == PlanStatus::done);
  CHECK(second.tally.done == 30);
  CHECK(rig.state_users().size() == 20 + 30);
}

TEST_CASE("apply_plan keeps the planned order of operations that set or free the same email",
          "[sync][apply][emulator]")
{
  Rig rig;
  // E000007 and E000008 swap emails through a temporary one: three patches that must run in order
  // although they concern two different people.
  const auto a = rig.open_id.at("E000007");
  const auto b = rig.open_id.at("E000008");
  std::vector<storage::Operation> ops;
  ops.push_back(update_op(1, "E000007", a, json::Value::object({{"email", "swap@example.com"}}),
                          json::Value::object({{"email", "e000007@example.com"}})));
  ops.push_back(update_op(2, "E000008", b, json::Value::object({{"email", "e000007@example.com"}}),
                          json::Value::object({{"email", "e000008@example.com"}})));
  ops.push_back(update_op(3, "E000007", a, json::Value::object({{"email", "e000008@example.com"}}), json::Value()));
  const auto plan_id = insert_plan(rig.db, approved(ops));

  const auto summary = rig.apply(plan_id, 8);

  CHECK(summary.status == PlanStatus::done);
  CHECK(summary.tally.done == 3);
  auto users = rig.state_users();
  CHECK(users.find("E000007")->second.get_string("email") == "e000008@example.com");
  CHECK(users.find("E000008")->second.get_string("email") == "e000007@example.com");
}
