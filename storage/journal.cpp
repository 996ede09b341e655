// The journal's SQL. Each public method is one IMMEDIATE transaction, and each state change is an
// UPDATE whose WHERE names the state it moves from: if no row changed, the operation (or plan) was
// not where the caller believed, and the step fails instead of overwriting someone else's record.
#include "storage/journal.hpp"

#include "common/error.hpp"
#include "storage/sqlite_access.hpp"

#include <fmt/format.h>

namespace dirsync::storage {

namespace {

constexpr const char* k_operation_columns =
  "id, seq, kind, employee_no, open_id, client_token, reason, payload, precondition, state, attempts, "
  "http_status, code, msg, log_id, started_at, finished_at";

Operation read_operation(const Database& db, SQLite::Statement& st)
{
  Operation op;
  op.id = st.getColumn(0).getInt64();
  op.seq = st.getColumn(1).getInt();
  const auto kind = st.getColumn(2).getString();
  const auto parsed_kind = try_parse_operation_kind(kind);
  if (!parsed_kind) {
    throw StorageError(fmt::format("{}: operation {} has an unknown kind \"{}\"", db.file().string(), op.id, kind));
  }
  op.kind = *parsed_kind;
  op.employee_no = nullable_text(st.getColumn(3)).value_or("");
  op.open_id = nullable_text(st.getColumn(4)).value_or("");
  op.client_token = nullable_text(st.getColumn(5)).value_or("");
  op.reason = nullable_text(st.getColumn(6)).value_or("");
  op.payload = json_column(st.getColumn(7));
  if (!st.getColumn(8).isNull()) {
    op.precondition = json_column(st.getColumn(8));
  }
  const auto state = st.getColumn(9).getString();
  const auto parsed_state = try_parse_operation_state(state);
  if (!parsed_state) {
    throw StorageError(fmt::format("{}: operation {} has an unknown state \"{}\"", db.file().string(), op.id, state));
  }
  op.state = *parsed_state;
  op.attempts = st.getColumn(10).getInt();
  if (!st.getColumn(11).isNull()) {
    op.http_status = st.getColumn(11).getInt();
  }
  op.code = nullable_int(st.getColumn(12));
  op.msg = nullable_text(st.getColumn(13)).value_or("");
  op.log_id = nullable_text(st.getColumn(14)).value_or("");
  op.started_at = nullable_int(st.getColumn(15));
  op.finished_at = nullable_int(st.getColumn(16));
  return op;
}

void bind_outcome(SQLite::Statement& st, int first, const ApiOutcome& outcome)
{
  if (outcome.http_status) {
    st.bind(first, *outcome.http_status);
  } else {
    st.bind(first);
  }
  bind_nullable(st, first + 1, outcome.code);
  bind_nullable(st, first + 2, outcome.msg.empty() ? std::nullopt : std::optional<std::string>(outcome.msg));
  bind_nullable(st, first + 3,
                outcome.log_id.empty() ? std::nullopt : std::optional<std::string>(outcome.log_id));
}

// Explains why an UPDATE of operation `id` changed nothing: it does not exist, or is in `state`.
[[noreturn]] void throw_not_in_state(Database& db, std::int64_t id, std::string_view step,
                                     std::string_view expected)
{
  auto& sql = SqliteAccess::connection(db);
  SQLite::Statement st(sql, "SELECT state, plan_id FROM operations WHERE id = ?");
  st.bind(1, id);
  if (!st.executeStep()) {
    throw StorageError(fmt::format("{}: {} operation {}: there is no such operation", db.file().string(), step, id));
  }
  throw StorageError(fmt::format(
    "{}: {} operation {} of plan {}: it is {}, not {}; is another dirsync applying the same plan?",
    db.file().string(), step, id, st.getColumn(1).getInt64(), st.getColumn(0).getString(), expected));
}

} // namespace

Journal::Journal(Database& db)
  : m_db(db)
{
}

std::optional<PlanHeader> Journal::find_plan(std::int64_t plan_id) const
{
  return guarded(m_db, fmt::format("reading plan {}", plan_id), [&]() -> std::optional<PlanHeader> {
    SQLite::Statement st(SqliteAccess::connection(m_db),
                         "SELECT status, started_at, finished_at, error FROM plans WHERE id = ?");
    st.bind(1, plan_id);
    if (!st.executeStep()) {
      return std::nullopt;
    }
    PlanHeader plan;
    plan.id = plan_id;
    const auto status = st.getColumn(0).getString();
    plan.status = try_parse_plan_status(status).value_or(PlanStatus::draft);
    plan.started_at = nullable_int(st.getColumn(1));
    plan.finished_at = nullable_int(st.getColumn(2));
    plan.error = nullable_text(st.getColumn(3)).value_or("");
    return plan;
  });
}

std::optional<std::int64_t> Journal::find_applying_plan() const
{
  return guarded(m_db, "looking for the plan being applied", [&]() -> std::optional<std::int64_t> {
    SQLite::Statement st(SqliteAccess::connection(m_db), "SELECT id FROM plans WHERE status = 'applying'");
    if (!st.executeStep()) {
      return std::nullopt;
    }
    return st.getColumn(0).getInt64();
  });
}

void Journal::begin_plan(std::int64_t plan_id, std::int64_t now)
{
  Transaction transaction(m_db);
  guarded(m_db, fmt::format("starting to apply plan {}", plan_id), [&] {
    auto& sql = SqliteAccess::connection(m_db);
    SQLite::Statement other(sql, "SELECT id FROM plans WHERE status = 'applying' AND id <> ?");
    other.bind(1, plan_id);
    if (other.executeStep()) {
      throw StorageError(fmt::format(
        "{}: cannot apply plan {}: plan {} is being applied; resume it first with `dirsync apply --plan {}`",
        m_db.file().string(), plan_id, other.getColumn(0).getInt64(), other.getColumn(0).getInt64()));
    }
    SQLite::Statement st(sql, "UPDATE plans SET status = 'applying', started_at = ? WHERE id = ? AND status = 'approved'");
    st.bind(1, now);
    st.bind(2, plan_id);
    if (st.exec() == 1) {
      return;
    }
    SQLite::Statement status(sql, "SELECT status FROM plans WHERE id = ?");
    status.bind(1, plan_id);
    if (!status.executeStep()) {
      throw StorageError(fmt::format("{}: there is no plan {}", m_db.file().string(), plan_id));
    }
    const auto current = status.getColumn(0).getString();
    const std::string fix = current == "held" ? fmt::format("; release it with `dirsync approve {}`", plan_id) : "";
    throw StorageError(fmt::format("{}: plan {} is {}, not approved, so it cannot be applied{}",
                                   m_db.file().string(), plan_id, current, fix));
  });
  transaction.commit();
}

void Journal::finish_plan(std::int64_t plan_id, PlanStatus status, const std::string& error, std::int64_t now)
{
  if (status != PlanStatus::done && status != PlanStatus::failed) {
    throw StorageError(fmt::format("plan {} can only finish as done or failed, not {}", plan_id, to_string(status)));
  }
  Transaction transaction(m_db);
  guarded(m_db, fmt::format("recording the end of plan {}", plan_id), [&] {
    SQLite::Statement st(SqliteAccess::connection(m_db),
                         "UPDATE plans SET status = ?, finished_at = ?, error = ? WHERE id = ? AND status = 'applying'");
    st.bind(1, std::string(to_string(status)));
    st.bind(2, now);
    bind_nullable(st, 3, status == PlanStatus::failed ? std::optional<std::string>(error) : std::nullopt);
    st.bind(4, plan_id);
    if (st.exec() != 1) {
      throw StorageError(fmt::format("{}: plan {} is not being applied, so it cannot finish", m_db.file().string(), plan_id));
    }
  });
  transaction.commit();
}

std::vector<Operation> Journal::load_operations(std::int64_t plan_id) const
{
  return guarded(m_db, fmt::format("reading the operations of plan {}", plan_id), [&] {
    SQLite::Statement st(SqliteAccess::connection(m_db),
                         fmt::format("SELECT {} FROM operations WHERE plan_id = ? ORDER BY seq", k_operation_columns));
    st.bind(1, plan_id);
    std::vector<Operation> ops;
    while (st.executeStep()) {
      ops.push_back(read_operation(m_db, st));
    }
    return ops;
  });
}

std::vector<Operation> Journal::load_operations(std::int64_t plan_id, OperationState state) const
{
  return guarded(m_db, fmt::format("reading the {} operations of plan {}", to_string(state), plan_id), [&] {
    SQLite::Statement st(
      SqliteAccess::connection(m_db),
      fmt::format("SELECT {} FROM operations WHERE plan_id = ? AND state = ? ORDER BY seq", k_operation_columns));
    st.bind(1, plan_id);
    st.bind(2, std::string(to_string(state)));
    std::vector<Operation> ops;
    while (st.executeStep()) {
      ops.push_back(read_operation(m_db, st));
    }
    return ops;
  });
}

OperationTally Journal::tally(std::int64_t plan_id) const
{
  return guarded(m_db, fmt::format("counting the operations of plan {}", plan_id), [&] {
    SQLite::Statement st(SqliteAccess::connection(m_db),
                         "SELECT state, count(*) FROM operations WHERE plan_id = ? GROUP BY state");
    st.bind(1, plan_id);
    OperationTally tally;
    while (st.executeStep()) {
      const int n = st.getColumn(1).getInt();
      switch (try_parse_operation_state(st.getColumn(0).getString()).value_or(OperationState::pending)) {
        case OperationState::pending: tally.pending += n; break;
        case OperationState::in_flight: tally.in_flight += n; break;
        case OperationState::done: tally.done += n; break;
        case OperationState::failed: tally.failed += n; break;
        case OperationState::skipped: tally.skipped += n; break;
      }
    }
    return tally;
  });
}

int Journal::start(std::int64_t operation_id, std::int64_t now)
{
  Transaction transaction(m_db);
  const int attempts = guarded(m_db, fmt::format("starting operation {}", operation_id), [&] {
    auto& sql = SqliteAccess::connection(m_db);
    SQLite::Statement st(sql,
                         "UPDATE operations SET state = 'in_flight', attempts = attempts + 1, started_at = ?, "
                         "http_status = NULL, code = NULL, msg = NULL, log_id = NULL "
                         "WHERE id = ? AND state IN ('pending', 'in_flight') "
                         "AND plan_id IN (SELECT id FROM plans WHERE status = 'applying') "
                         "RETURNING attempts");
    st.bind(1, now);
    st.bind(2, operation_id);
    if (!st.executeStep()) {
      throw_not_in_state(m_db, operation_id, "starting", "pending or in_flight in a plan being applied");
    }
    const int n = st.getColumn(0).getInt();
    while (st.executeStep()) {
    }
    return n;
  });
  transaction.commit();
  return attempts;
}

void Journal::finish_done(std::int64_t operation_id, const std::string& open_id, const ApiOutcome& outcome,
                          std::int64_t now, const std::function<void()>& in_same_transaction)
{
  Transaction transaction(m_db);
  guarded(m_db, fmt::format("recording operation {} as done", operation_id), [&] {
    SQLite::Statement st(SqliteAccess::connection(m_db),
                         "UPDATE operations SET state = 'done', open_id = ?, http_status = ?, code = ?, msg = ?, "
                         "log_id = ?, finished_at = ? WHERE id = ? AND state = 'in_flight'");
    st.bind(1, open_id);
    bind_outcome(st, 2, outcome);
    st.bind(6, now);
    st.bind(7, operation_id);
    if (st.exec() != 1) {
      throw_not_in_state(m_db, operation_id, "finishing", "in_flight");
    }
  });
  if (in_same_transaction) {
    in_same_transaction();
  }
  transaction.commit();
}

void Journal::finish_failed(std::int64_t operation_id, const ApiOutcome& outcome, std::int64_t now)
{
  Transaction transaction(m_db);
  guarded(m_db, fmt::format("recording operation {} as failed", operation_id), [&] {
    SQLite::Statement st(SqliteAccess::connection(m_db),
                         "UPDATE operations SET state = 'failed', http_status = ?, code = ?, msg = ?, log_id = ?, "
                         "finished_at = ? WHERE id = ? AND state = 'in_flight'");
    bind_outcome(st, 1, outcome);
    st.bind(5, now);
    st.bind(6, operation_id);
    if (st.exec() != 1) {
      throw_not_in_state(m_db, operation_id, "failing", "in_flight");
    }
  });
  transaction.commit();
}

void Journal::skip(std::int64_t operation_id, const std::string& why, std::int64_t now)
{
  Transaction transaction(m_db);
  guarded(m_db, fmt::format("recording operation {} as skipped", operation_id), [&] {
    SQLite::Statement st(SqliteAccess::connection(m_db),
                         "UPDATE operations SET state = 'skipped', msg = ?, finished_at = ? "
                         "WHERE id = ? AND state IN ('pending', 'in_flight')");
    st.bind(1, why);
    st.bind(2, now);
    st.bind(3, operation_id);
    if (st.exec() != 1) {
      throw_not_in_state(m_db, operation_id, "skipping", "pending or in_flight");
    }
  });
  transaction.commit();
}

} // namespace dirsync::storage
