#include "storage/plan_store.hpp"

#include "common/error.hpp"
#include "storage/link_store.hpp"
#include "storage/sqlite_access.hpp"

#include <fmt/format.h>

namespace dirsync::storage {

namespace {

constexpr const char* k_plan_columns =
  "id, created_at, hr_file_id, refresh_run_id, status, held_reasons, managed_users, creates, updates, deletes, "
  "resurrects, freezes, set_leaders, approved_by, approved_at, started_at, finished_at, error";

constexpr const char* k_operation_columns =
  "id, seq, kind, employee_no, open_id, client_token, reason, payload, precondition, state, attempts, http_status, "
  "code, msg, log_id, started_at, finished_at";

std::optional<std::string> text_or_null(const std::string& s)
{
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

PlanCounts count(const std::vector<Operation>& operations)
{
  PlanCounts c;
  for (const Operation& op : operations) {
    switch (op.kind) {
    case OperationKind::create:
      ++c.creates;
      break;
    case OperationKind::update:
      ++c.updates;
      break;
    case OperationKind::delete_user:
      ++c.deletes;
      break;
    case OperationKind::resurrect:
      ++c.resurrects;
      break;
    case OperationKind::freeze:
      ++c.freezes;
      break;
    case OperationKind::set_leader:
      ++c.set_leaders;
      break;
    }
  }
  return c;
}

Plan read_plan(SQLite::Statement& st)
{
  Plan p;
  p.id = st.getColumn(0).getInt64();
  p.created_at = st.getColumn(1).getInt64();
  p.hr_file_id = st.getColumn(2).getInt64();
  p.refresh_run_id = st.getColumn(3).getInt64();
  p.status = try_parse_plan_status(st.getColumn(4).getString()).value_or(PlanStatus::draft);
  if (!st.getColumn(5).isNull()) {
    const json::Value reasons = json_column(st.getColumn(5));
    if (reasons.is_array()) {
      for (const json::Value& r : reasons.as_array()) {
        p.held_reasons.push_back(r.is_string() ? r.as_string() : r.dump());
      }
    }
  }
  p.managed_users = st.getColumn(6).getInt();
  p.counts.creates = st.getColumn(7).getInt();
  p.counts.updates = st.getColumn(8).getInt();
  p.counts.deletes = st.getColumn(9).getInt();
  p.counts.resurrects = st.getColumn(10).getInt();
  p.counts.freezes = st.getColumn(11).getInt();
  p.counts.set_leaders = st.getColumn(12).getInt();
  p.approved_by = nullable_text(st.getColumn(13));
  p.approved_at = nullable_int(st.getColumn(14));
  p.started_at = nullable_int(st.getColumn(15));
  p.finished_at = nullable_int(st.getColumn(16));
  p.error = nullable_text(st.getColumn(17)).value_or("");
  return p;
}

Operation read_operation(SQLite::Statement& st)
{
  Operation op;
  op.id = st.getColumn(0).getInt64();
  op.seq = st.getColumn(1).getInt();
  op.kind = try_parse_operation_kind(st.getColumn(2).getString()).value_or(OperationKind::update);
  op.employee_no = nullable_text(st.getColumn(3)).value_or("");
  op.open_id = nullable_text(st.getColumn(4)).value_or("");
  op.client_token = nullable_text(st.getColumn(5)).value_or("");
  op.reason = nullable_text(st.getColumn(6)).value_or("");
  op.payload = json_column(st.getColumn(7));
  if (!st.getColumn(8).isNull()) {
    op.precondition = json_column(st.getColumn(8));
  }
  op.state = try_parse_operation_state(st.getColumn(9).getString()).value_or(OperationState::pending);
  op.attempts = st.getColumn(10).getInt();
  if (auto status = nullable_int(st.getColumn(11))) {
    op.http_status = static_cast<int>(*status);
  }
  op.code = nullable_int(st.getColumn(12));
  op.msg = nullable_text(st.getColumn(13)).value_or("");
  op.log_id = nullable_text(st.getColumn(14)).value_or("");
  op.started_at = nullable_int(st.getColumn(15));
  op.finished_at = nullable_int(st.getColumn(16));
  return op;
}

PlanDecision read_decision(SQLite::Statement& st)
{
  PlanDecision d;
  d.employee_no = nullable_text(st.getColumn(0)).value_or("");
  d.open_id = nullable_text(st.getColumn(1)).value_or("");
  d.decision = st.getColumn(2).getString();
  d.rule = st.getColumn(3).getString();
  d.detail = st.getColumn(4).getString();
  return d;
}

} // namespace

PlanStore::PlanStore(Database& db) : m_db(db) {}

std::int64_t PlanStore::save(Plan& plan)
{
  if (plan.id != 0) {
    throw StorageError(fmt::format("{}: saving plan {}: it is already stored", m_db.file().string(), plan.id));
  }
  plan.counts = count(plan.operations);
  return guarded(m_db, "saving a plan", [&] {
    auto& sql = SqliteAccess::connection(m_db);
    Transaction tx(m_db);

    SQLite::Statement st(sql, fmt::format("INSERT INTO plans ({}) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                                          "?, ?, ?, ?, ?, ?)",
                                          k_plan_columns));
    st.bind(1, plan.created_at);
    st.bind(2, plan.hr_file_id);
    st.bind(3, plan.refresh_run_id);
    st.bind(4, std::string(to_string(plan.status)));
    if (plan.held_reasons.empty()) {
      st.bind(5);
    } else {
      json::Value reasons = json::Value::string_array(plan.held_reasons);
      bind_json(st, 5, reasons);
    }
    st.bind(6, plan.managed_users);
    st.bind(7, plan.counts.creates);
    st.bind(8, plan.counts.updates);
    st.bind(9, plan.counts.deletes);
    st.bind(10, plan.counts.resurrects);
    st.bind(11, plan.counts.freezes);
    st.bind(12, plan.counts.set_leaders);
    bind_nullable(st, 13, plan.approved_by);
    bind_nullable(st, 14, plan.approved_at);
    bind_nullable(st, 15, plan.started_at);
    bind_nullable(st, 16, plan.finished_at);
    bind_nullable(st, 17, text_or_null(plan.error));
    st.exec();
    const std::int64_t id = sql.getLastInsertRowid();

    SQLite::Statement op_st(sql, "INSERT INTO operations (plan_id, seq, kind, employee_no, open_id, client_token, "
                                 "reason, payload, precondition, state, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (Operation& op : plan.operations) {
      op_st.bind(1, id);
      op_st.bind(2, op.seq);
      op_st.bind(3, std::string(to_string(op.kind)));
      bind_nullable(op_st, 4, text_or_null(op.employee_no));
      bind_nullable(op_st, 5, text_or_null(op.open_id));
      bind_nullable(op_st, 6, text_or_null(op.client_token));
      bind_nullable(op_st, 7, text_or_null(op.reason));
      bind_json(op_st, 8, op.payload);
      if (op.precondition.is_null()) {
        op_st.bind(9);
      } else {
        bind_json(op_st, 9, op.precondition);
      }
      op_st.bind(10, std::string(to_string(op.state)));
      op_st.bind(11, op.attempts);
      op_st.exec();
      op_st.reset();
      op.id = sql.getLastInsertRowid();
    }

    SQLite::Statement d_st(sql, "INSERT INTO plan_decisions (plan_id, seq, employee_no, open_id, decision, rule, "
                                "detail) VALUES (?, ?, ?, ?, ?, ?, ?)");
    int seq = 0;
    for (const PlanDecision& d : plan.decisions) {
      d_st.bind(1, id);
      d_st.bind(2, ++seq);
      bind_nullable(d_st, 3, text_or_null(d.employee_no));
      bind_nullable(d_st, 4, text_or_null(d.open_id));
      d_st.bind(5, d.decision);
      d_st.bind(6, d.rule);
      d_st.bind(7, d.detail);
      d_st.exec();
      d_st.reset();
    }

    LinkStore links(m_db);
    for (Link& l : plan.new_links) {
      l.plan_id = id;
      l.id = links.open(l);
    }

    SQLite::Statement supersede(sql, "UPDATE plans SET status = 'superseded', finished_at = max(?, created_at) "
                                     "WHERE id <> ? AND status IN ('draft', 'held', 'approved')");
    supersede.bind(1, plan.created_at);
    supersede.bind(2, id);
    supersede.exec();

    tx.commit();
    plan.id = id;
    return id;
  });
}

std::optional<Plan> PlanStore::find(std::int64_t plan_id) const
{
  return guarded(m_db, fmt::format("reading plan {}", plan_id), [&]() -> std::optional<Plan> {
    auto& sql = SqliteAccess::connection(m_db);
    SQLite::Statement st(sql, fmt::format("SELECT {} FROM plans WHERE id = ?", k_plan_columns));
    st.bind(1, plan_id);
    if (!st.executeStep()) {
      return std::nullopt;
    }
    Plan plan = read_plan(st);
    SQLite::Statement ops(sql, fmt::format("SELECT {} FROM operations WHERE plan_id = ? ORDER BY seq",
                                           k_operation_columns));
    ops.bind(1, plan_id);
    while (ops.executeStep()) {
      plan.operations.push_back(read_operation(ops));
    }
    SQLite::Statement ds(sql, "SELECT employee_no, open_id, decision, rule, detail FROM plan_decisions "
                              "WHERE plan_id = ? ORDER BY seq");
    ds.bind(1, plan_id);
    while (ds.executeStep()) {
      plan.decisions.push_back(read_decision(ds));
    }
    SQLite::Statement ls(sql, "SELECT id, employee_no, open_id, method, linked_at, plan_id, unlinked_at, "
                              "unlink_reason FROM links WHERE plan_id = ? ORDER BY id");
    ls.bind(1, plan_id);
    while (ls.executeStep()) {
      Link l;
      l.id = ls.getColumn(0).getInt64();
      l.employee_no = ls.getColumn(1).getString();
      l.open_id = ls.getColumn(2).getString();
      l.method = try_parse_link_method(ls.getColumn(3).getString()).value_or(LinkMethod::employee_no);
      l.linked_at = ls.getColumn(4).getInt64();
      l.plan_id = nullable_int(ls.getColumn(5));
      l.unlinked_at = nullable_int(ls.getColumn(6));
      l.unlink_reason = nullable_text(ls.getColumn(7)).value_or("");
      plan.new_links.push_back(std::move(l));
    }
    return plan;
  });
}

std::vector<Plan> PlanStore::list(int limit) const
{
  return guarded(m_db, "listing plans", [&] {
    SQLite::Statement st(SqliteAccess::connection(m_db),
                         fmt::format("SELECT {} FROM plans ORDER BY id DESC LIMIT ?", k_plan_columns));
    st.bind(1, limit);
    std::vector<Plan> out;
    while (st.executeStep()) {
      out.push_back(read_plan(st));
    }
    return out;
  });
}

std::optional<Plan> PlanStore::find_last_done() const
{
  return guarded(m_db, "reading the last applied plan", [&]() -> std::optional<Plan> {
    SQLite::Statement st(SqliteAccess::connection(m_db),
                         fmt::format("SELECT {} FROM plans WHERE status = 'done' ORDER BY id DESC LIMIT 1",
                                     k_plan_columns));
    if (!st.executeStep()) {
      return std::nullopt;
    }
    return read_plan(st);
  });
}

std::optional<Plan> PlanStore::find_latest_about(const std::string& employee_no) const
{
  return guarded(m_db, "reading the latest plan about employee " + employee_no, [&]() -> std::optional<Plan> {
    SQLite::Statement st(SqliteAccess::connection(m_db),
                         fmt::format("SELECT {} FROM plans WHERE id = (SELECT max(plan_id) FROM ("
                                     "SELECT plan_id FROM plan_decisions WHERE employee_no = ?1 UNION ALL "
                                     "SELECT plan_id FROM operations WHERE employee_no = ?1))",
                                     k_plan_columns));
    st.bind(1, employee_no);
    if (!st.executeStep()) {
      return std::nullopt;
    }
    return read_plan(st);
  });
}

std::vector<PlanDecision> PlanStore::decisions_for(std::int64_t plan_id, const std::string& employee_no) const
{
  return guarded(m_db, fmt::format("reading plan {}'s decisions about {}", plan_id, employee_no), [&] {
    SQLite::Statement st(SqliteAccess::connection(m_db),
                         "SELECT employee_no, open_id, decision, rule, detail FROM plan_decisions "
                         "WHERE plan_id = ? AND employee_no = ? ORDER BY seq");
    st.bind(1, plan_id);
    st.bind(2, employee_no);
    std::vector<PlanDecision> out;
    while (st.executeStep()) {
      out.push_back(read_decision(st));
    }
    return out;
  });
}

std::vector<Operation> PlanStore::operations_for(std::int64_t plan_id, const std::string& employee_no) const
{
  return guarded(m_db, fmt::format("reading plan {}'s operations for {}", plan_id, employee_no), [&] {
    SQLite::Statement st(SqliteAccess::connection(m_db),
                         fmt::format("SELECT {} FROM operations WHERE plan_id = ? AND employee_no = ? ORDER BY seq",
                                     k_operation_columns));
    st.bind(1, plan_id);
    st.bind(2, employee_no);
    std::vector<Operation> out;
    while (st.executeStep()) {
      out.push_back(read_operation(st));
    }
    return out;
  });
}

std::int64_t PlanStore::count_leavers_done_since(std::int64_t since) const
{
  return guarded(m_db, "counting recent deletes", [&] {
    SQLite::Statement st(SqliteAccess::connection(m_db),
                         "SELECT count(*) FROM operations WHERE kind IN ('delete', 'freeze') AND state = 'done' "
                         "AND finished_at >= ?");
    st.bind(1, since);
    st.executeStep();
    return st.getColumn(0).getInt64();
  });
}

bool PlanStore::has_approved_plan(const std::string& base_url, const std::string& app_id) const
{
  return guarded(m_db, "looking for an approved plan", [&] {
    SQLite::Statement st(SqliteAccess::connection(m_db),
                         "SELECT EXISTS (SELECT 1 FROM plans p JOIN refresh_runs r ON r.id = p.refresh_run_id "
                         "WHERE p.approved_at IS NOT NULL AND r.base_url = ? AND r.app_id = ?)");
    st.bind(1, base_url);
    st.bind(2, app_id);
    st.executeStep();
    return st.getColumn(0).getInt() != 0;
  });
}

std::optional<std::int64_t> PlanStore::find_approved_unstarted() const
{
  return guarded(m_db, "looking for an approved plan to apply", [&] {
    SQLite::Statement st(SqliteAccess::connection(m_db),
                         "SELECT id FROM plans WHERE status = 'approved' ORDER BY id LIMIT 1");
    return st.executeStep() ? std::optional<std::int64_t>(st.getColumn(0).getInt64()) : std::nullopt;
  });
}

bool PlanStore::approve(std::int64_t plan_id, const std::string& by, std::int64_t at)
{
  return guarded(m_db, fmt::format("approving plan {}", plan_id), [&] {
    SQLite::Statement st(SqliteAccess::connection(m_db),
                         "UPDATE plans SET status = 'approved', approved_by = ?, approved_at = ? "
                         "WHERE id = ? AND status = 'held'");
    st.bind(1, by);
    st.bind(2, at);
    st.bind(3, plan_id);
    return st.exec() == 1;
  });
}

void PlanStore::set_status(std::int64_t plan_id, PlanStatus status, std::int64_t at, const std::string& error)
{
  const int changed = guarded(m_db, fmt::format("setting plan {} to {}", plan_id, to_string(status)), [&] {
    SQLite::Statement st(SqliteAccess::connection(m_db),
                         "UPDATE plans SET status = ?1, "
                         "started_at = CASE WHEN ?1 = 'applying' THEN ?2 ELSE started_at END, "
                         "finished_at = CASE WHEN ?1 IN ('done', 'failed', 'superseded') THEN ?2 ELSE finished_at END, "
                         "error = CASE WHEN ?1 = 'failed' THEN ?3 ELSE error END "
                         "WHERE id = ?4");
    st.bind(1, std::string(to_string(status)));
    st.bind(2, at);
    bind_nullable(st, 3, text_or_null(error));
    st.bind(4, plan_id);
    return st.exec();
  });
  if (changed != 1) {
    throw StorageError(fmt::format("{}: setting plan {} to {}: there is no such plan", m_db.file().string(), plan_id,
                                   to_string(status)));
  }
}

} // namespace dirsync::storage
