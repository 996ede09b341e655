// Applying a plan through the journal.
//
// The operations are taken in seq order, but independent ones run at once (up to max_in_flight
// workers), because one request at a time cannot reach Feishu's 50 creates per second at ~20 ms a
// request. Two operations are dependent when they share a key: the person (employee number), the
// Feishu user (open_id, including the acceptors of a delete and the leader of a create or patch),
// the leader a set_leader names, or an email or mobile one of them sets or frees. An operation
// waits until every earlier operation sharing a key with it has finished, so a resurrect comes
// before its follow-up patch, a leader's create before the set_leader that names them, a patch
// before the delete that names its user as acceptor, and two operations that set or free one email
// or mobile in the order planned (e.g. a swap of emails between two people). Everything else keeps
// the planner's order only as a priority: the ready operation with the lowest seq goes next.
//
// One operation, by one worker:
//   1. On its first send, an update, freeze or set_leader of a user the mirror has as resigned is
//      skipped (the resurrect planned before it failed), and its precondition (what the target
//      looked like when planned) is compared
//      with the mirror now; a target that changed is skipped with the difference as the reason
//      (the next plan looks again). A set_leader, or an operation on a user created earlier in the
//      plan, finds its users through the links that earlier operations recorded.
//   2. The journal marks it in_flight, attempts + 1, and commits: only then is the request sent.
//   3. Success: the journal marks it done and, in the same transaction, the mirror takes the
//      answer (the user upserted; a create's or resurrect's link recorded, user first).
//      A business error fails this operation only, with Feishu's code, msg and log id; the plan
//      goes on. Some answers mean an earlier send landed: 42006 to a delete (already resigned),
//      44033 to a resurrect that may have been sent before (not resigned any more), and a
//      uniqueness conflict to a create that may have been sent before. A resurrect Feishu refuses
//      for good (44028 past the recoverable time, 44030/44031/44032 mobile/email/user_id now held
//      by someone else) is also recorded on the user in the mirror, so the next plan creates a new
//      account or reports a conflict instead of sending it again.
//   4. A failure after which it is unknown whether the request landed (the client gave up on 5xx,
//      timeouts or dropped connections, or would not repeat a non-idempotent request) makes the
//      operation "uncertain": before sending again, apply asks Feishu whether it landed (below).
//      After max_tries sends it is recorded failed.
//
// Whether an uncertain operation landed (also what a resumed run asks of every operation a crash
// left in_flight):
//   create    - the person is looked up: batch_get_id by email and mobile (include_resigned), then
//               the target department's listing by employee number; a user found with this
//               employee number who is not resigned is the one the create made. If none is found
//               the create is sent again with the SAME client_token, which Feishu also answers
//               with the first user rather than making a second one.
//   resurrect - get the user: not resigned means it landed.
//   delete    - get the user: resigned means it landed.
//   update, freeze, set_leader - idempotent: sent again.
//
// The plan ends done when no operation failed (skipped ones included: they are re-planned by the
// next cycle), and failed when at least one operation failed, with "N of M operations failed"
// as its error. A run stopped early (stop flag, or a database failure) leaves it applying.
#include "sync/apply.hpp"

#include "common/error.hpp"
#include "sync/operation_request.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace dirsync::sync {

namespace {

using storage::Operation;
using storage::OperationKind;
using storage::OperationState;
using storage::PlanStatus;

// Business codes that say a create's person already exists (feishu-contact-api.md §2.2).
bool is_create_conflict(long long code)
{
  return code == 41001 || code == 41002 || code == 41003 || code == 41053 || code == 44051;
}

// A refused token (the client already fetched a new one and was refused again): the request was
// not carried out, and a later try with yet another token may pass.
bool is_token_refusal(long long code)
{
  return code == 99991661 || code == 99991663 || code == 99991664 || code == 99991665;
}

// Answers to a resurrect that a second try would get again: past the recoverable time (44028), or
// the user's mobile, email or user_id is now held by someone else (44030, 44031, 44032). The mirror
// records them so that the next plan does something else (sync/planner.cpp).
bool is_resurrect_refusal(long long code)
{
  return code == 44028 || code == 44030 || code == 44031 || code == 44032;
}

constexpr long long k_user_resigned = 42006;
constexpr long long k_not_resigned = 44033;

std::string lower(std::string text)
{
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

storage::ApiOutcome outcome_of(const ApiError& e)
{
  storage::ApiOutcome outcome;
  if (e.http_status() != 0) {
    outcome.http_status = e.http_status();
  }
  if (e.code() != 0) {
    outcome.code = e.code();
  }
  outcome.msg = e.details().msg.empty() ? e.what() : e.details().msg;
  outcome.log_id = e.log_id();
  return outcome;
}

storage::ApiOutcome success()
{
  storage::ApiOutcome outcome;
  outcome.http_status = 200;
  outcome.code = 0;
  outcome.msg = "success";
  return outcome;
}

std::string quoted(const json::Value& v)
{
  return v.is_null() ? "nothing" : v.dump();
}

// What a send (or a look-up) found out: the operation landed, with the user as Feishu has them
// now when known.
struct Landed
{
  std::string open_id;
  std::optional<feishu::User> user;
  storage::ApiOutcome outcome = success();
};

class Applier
{
public:
  Applier(storage::Database& db, feishu::Client& client, ApplyMirror& mirror, std::int64_t plan_id,
          const ApplyOptions& options)
    : m_db(db),
      m_client(client),
      m_mirror(mirror),
      m_journal(db),
      m_plan_id(plan_id),
      m_options(options)
  {
    if (!m_options.now) {
      m_options.now = [] {
        return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
      };
    }
  }

  ApplySummary run();

private:
  struct Node
  {
    Operation op;
    int waiting_for = 0;          // earlier unfinished operations sharing a key
    std::vector<std::size_t> dependents;
    bool finished = false;
  };

  std::set<std::string> keys_of(const Operation& op);
  void build_graph(std::vector<Operation> ops);
  void work();
  void process(Operation& op);
  std::optional<std::string> resolve_target(Operation& op, std::string& open_id, std::string& leader_open_id);
  // An update, freeze or set_leader of a user the mirror has as resigned (the resurrect planned
  // before it failed) would only fail: why it is skipped, or nullopt.
  std::optional<std::string> find_resigned_target(const Operation& op, const std::string& open_id);
  std::optional<std::string> find_precondition_mismatch(const Operation& op, const std::string& open_id);
  Landed send(const Operation& op, const std::string& open_id, const std::string& leader_open_id);
  std::optional<Landed> find_landed(const Operation& op, const std::string& open_id);
  std::optional<feishu::User> find_created_user(const Operation& op);
  void record_done(Operation& op, const Landed& landed);
  void record_failed(Operation& op, const storage::ApiOutcome& outcome);
  void record_skipped(Operation& op, const std::string& why);
  int record_start(Operation& op);
  void finished(std::size_t index, OperationState state);
  bool stopping() const;

  storage::Database& m_db;
  feishu::Client& m_client;
  ApplyMirror& m_mirror;
  storage::Journal m_journal;
  std::int64_t m_plan_id;
  ApplyOptions m_options;

  // Guards the database, the mirror and the scheduling state below: workers hold it for journal
  // steps and scheduling, never while a request is on the wire.
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::vector<Node> m_nodes;
  std::map<int, std::size_t> m_ready; // seq -> node index
  std::size_t m_unfinished = 0;
  std::size_t m_running = 0;
  std::exception_ptr m_failure;
  std::map<std::int64_t, std::size_t> m_index_by_id;

  ApplyProgress m_progress;
  std::chrono::steady_clock::time_point m_started;
  std::chrono::steady_clock::time_point m_last_log;
  int m_finished_by_this_run = 0;
  int m_requests = 0;
};

std::set<std::string> Applier::keys_of(const Operation& op)
{
  std::set<std::string> keys;
  const auto add_open_id = [&](const std::string& id) {
    if (!id.empty()) {
      keys.insert("user:" + id);
    }
  };
  const auto add_contact = [&](const json::Value& v) {
    if (!v.is_object()) {
      return;
    }
    if (const auto email = v.get_string("email"); !email.empty()) {
      keys.insert("email:" + lower(email));
    }
    if (const auto mobile = v.get_string("mobile"); !mobile.empty()) {
      keys.insert("mobile:" + mobile);
    }
  };
  if (!op.employee_no.empty()) {
    keys.insert("person:" + op.employee_no);
  }
  add_open_id(op.open_id);
  if (!op.payload.is_object()) {
    return keys;
  }
  add_contact(op.payload);
  add_contact(op.precondition);
  for (const auto& [name, value] : op.payload.as_object()) {
    if (value.is_string() && (name == "leader_user_id" || name.ends_with("_acceptor_user_id"))) {
      add_open_id(value.as_string());
    }
  }
  if (const auto* mail = op.payload.find("email_acceptor"); mail != nullptr && mail->is_object()) {
    add_open_id(mail->get_string("acceptor_user_id"));
  }
  if (op.kind == OperationKind::set_leader) {
    if (const auto leader = op.payload.get_string("leader_employee_no"); !leader.empty()) {
      keys.insert("person:" + leader);
    }
  }
  if (op.kind == OperationKind::delete_user && !op.open_id.empty()) {
    // A leaver frees their email and mobile for whoever is hired after them.
    if (const auto user = m_mirror.find_user(op.open_id)) {
      if (!user->email.empty()) {
        keys.insert("email:" + lower(user->email));
      }
      if (!user->mobile.empty()) {
        keys.insert("mobile:" + user->mobile);
      }
    }
  }
  return keys;
}

void Applier::build_graph(std::vector<Operation> ops)
{
  std::map<std::string, std::size_t> last_with_key;
  m_nodes.reserve(ops.size());
  for (auto& op : ops) {
    const auto index = m_nodes.size();
    m_nodes.push_back(Node{std::move(op), 0, {}, false});
    Node& node = m_nodes.back();
    m_index_by_id[node.op.id] = index;
    const bool is_finished = node.op.state == OperationState::done || node.op.state == OperationState::failed ||
                             node.op.state == OperationState::skipped;
    node.finished = is_finished;
    std::set<std::size_t> predecessors;
    for (const auto& key : keys_of(node.op)) {
      const auto it = last_with_key.find(key);
      if (it != last_with_key.end()) {
        predecessors.insert(it->second);
      }
      last_with_key[key] = index;
    }
    if (is_finished) {
      continue;
    }
    ++m_unfinished;
    for (const auto p : predecessors) {
      if (!m_nodes[p].finished) {
        m_nodes[p].dependents.push_back(index);
        ++node.waiting_for;
      }
    }
    if (node.waiting_for == 0) {
      m_ready.emplace(node.op.seq, index);
    }
  }
}

bool Applier::stopping() const
{
  return m_failure != nullptr || (m_options.stop != nullptr && m_options.stop->load());
}

void Applier::work()
{
  std::unique_lock lock(m_mutex);
  while (true) {
    m_changed.wait(lock, [&] { return stopping() || !m_ready.empty() || m_unfinished == 0 || m_running == 0; });
    // Nothing ready and nothing running means nothing ever will be (the graph only points
    // forward, so this cannot happen), and leaving beats waiting forever.
    if (stopping() || m_unfinished == 0 || m_ready.empty()) {
      m_changed.notify_all();
      return;
    }
    const auto index = m_ready.begin()->second;
    m_ready.erase(m_ready.begin());
    ++m_running;
    Operation op = m_nodes[index].op;
    lock.unlock();
    try {
      process(op);
    } catch (...) {
      lock.lock();
      if (!m_failure) {
        m_failure = std::current_exception();
      }
      --m_running;
      m_changed.notify_all();
      return;
    }
    lock.lock();
    --m_running;
    m_changed.notify_all();
  }
}

// Finds the users an operation acts on; returns why it cannot run when one is missing.
std::optional<std::string> Applier::resolve_target(Operation& op, std::string& open_id, std::string& leader_open_id)
{
  open_id = op.open_id;
  if (open_id.empty() && op.kind != OperationKind::create) {
    const auto linked = m_mirror.find_linked_open_id(op.employee_no);
    if (!linked) {
      return fmt::format("employee {} has no Feishu user: the operation that was to create it did not succeed",
                         op.employee_no);
    }
    open_id = *linked;
  }
  if (op.kind == OperationKind::set_leader) {
    const auto leader = op.payload.get_string("leader_employee_no");
    const auto linked = m_mirror.find_linked_open_id(leader);
    if (!linked) {
      return fmt::format("the leader {} has no Feishu user: the operation that was to create them did not succeed",
                         leader);
    }
    leader_open_id = *linked;
  }
  return std::nullopt;
}

std::optional<std::string> Applier::find_resigned_target(const Operation& op, const std::string& open_id)
{
  if (op.kind != OperationKind::update && op.kind != OperationKind::freeze && op.kind != OperationKind::set_leader) {
    return std::nullopt;
  }
  const auto user = m_mirror.find_user(open_id);
  if (!user || !user->status.is_resigned) {
    return std::nullopt;
  }
  return fmt::format("user {} is resigned (a resurrect before it did not land); the next plan looks again", open_id);
}

std::optional<std::string> Applier::find_precondition_mismatch(const Operation& op, const std::string& open_id)
{
  if (op.precondition.is_null()) {
    return std::nullopt;
  }
  if (!op.precondition.is_object()) {
    return "its precondition is not an object";
  }
  const auto user = m_mirror.find_user(open_id);
  if (!user) {
    return fmt::format("the mirror no longer has user {}", open_id);
  }
  std::vector<std::string> changes;
  for (const auto& [member, planned] : op.precondition.as_object()) {
    const auto now = find_user_field(*user, member);
    if (!now) {
      changes.push_back(fmt::format("{} cannot be compared (apply does not know this field)", member));
    } else if (!same_field_value(planned, *now)) {
      changes.push_back(fmt::format("{} was {} when planned, is {} now", member, quoted(planned), quoted(*now)));
    }
  }
  if (changes.empty()) {
    return std::nullopt;
  }
  std::string why = "target changed since planning: ";
  for (std::size_t i = 0; i < changes.size(); ++i) {
    why += (i == 0 ? "" : "; ") + changes[i];
  }
  return why + "; the next plan looks again";
}

Landed Applier::send(const Operation& op, const std::string& open_id, const std::string& leader_open_id)
{
  Landed landed;
  landed.open_id = open_id;
  switch (op.kind) {
    case OperationKind::create: {
      auto user = m_client.create_user(decode_user_create(op.payload), op.client_token);
      if (user.open_id.empty()) {
        throw ApiError({"POST /open-apis/contact/v3/users", 200, 0, "the answer to a create has no open_id", "", true});
      }
      landed.open_id = user.open_id;
      landed.user = std::move(user);
      break;
    }
    case OperationKind::update:
    case OperationKind::freeze:
      landed.user = m_client.patch_user(open_id, decode_user_patch(op.payload));
      break;
    case OperationKind::set_leader: {
      feishu::UserPatch patch;
      patch.leader_user_id = leader_open_id;
      landed.user = m_client.patch_user(open_id, patch);
      break;
    }
    case OperationKind::delete_user:
      m_client.delete_user(open_id, decode_user_delete(op.payload));
      break;
    case OperationKind::resurrect:
      m_client.resurrect_user(open_id, decode_user_resurrect(op.payload));
      break;
  }
  return landed;
}

std::optional<feishu::User> Applier::find_created_user(const Operation& op)
{
  const auto employee_no = op.payload.get_string("employee_no", op.employee_no);
  const auto is_ours = [&](const feishu::User& u) {
    return !employee_no.empty() && u.employee_no == employee_no && !u.status.is_resigned;
  };
  feishu::BatchIdQuery query;
  query.include_resigned = true;
  if (const auto email = op.payload.get_string("email"); !email.empty()) {
    query.emails.push_back(email);
  }
  if (const auto mobile = op.payload.get_string("mobile"); !mobile.empty()) {
    query.mobiles.push_back(mobile);
  }
  if (!query.emails.empty() || !query.mobiles.empty()) {
    std::set<std::string> candidates;
    for (const auto& entry : m_client.batch_get_user_ids(query)) {
      if (!entry.user_id.empty()) {
        candidates.insert(entry.user_id);
      }
    }
    for (const auto& id : candidates) {
      auto user = m_client.get_user(id);
      if (is_ours(user)) {
        return user;
      }
    }
  }
  // No email or mobile led to them: look for the employee number among the department's members.
  const auto* departments = op.payload.find("department_ids");
  if (employee_no.empty() || departments == nullptr || !departments->is_array() || departments->size() == 0 ||
      !departments->as_array().front().is_string()) {
    return std::nullopt;
  }
  std::optional<feishu::User> found;
  m_client.list_users_by_department(departments->as_array().front().as_string(), [&](std::vector<feishu::User>& page) {
    for (auto& u : page) {
      if (!found && is_ours(u)) {
        found = std::move(u);
      }
    }
  });
  return found;
}

std::optional<Landed> Applier::find_landed(const Operation& op, const std::string& open_id)
{
  switch (op.kind) {
    case OperationKind::create: {
      auto user = find_created_user(op);
      if (!user) {
        return std::nullopt;
      }
      Landed landed;
      landed.open_id = user->open_id;
      landed.user = std::move(user);
      return landed;
    }
    case OperationKind::resurrect:
    case OperationKind::delete_user: {
      auto user = m_client.get_user(open_id);
      const bool wanted_resigned = op.kind == OperationKind::delete_user;
      if (user.status.is_resigned != wanted_resigned) {
        return std::nullopt;
      }
      Landed landed;
      landed.open_id = open_id;
      if (!wanted_resigned) {
        landed.user = std::move(user);
      }
      return landed;
    }
    case OperationKind::update:
    case OperationKind::freeze:
    case OperationKind::set_leader:
      return std::nullopt;
  }
  return std::nullopt;
}

void Applier::process(Operation& op)
{
  std::string open_id;
  std::string leader_open_id;
  bool uncertain = op.state == OperationState::in_flight; // a crash left it: it may have landed
  {
    std::lock_guard lock(m_mutex);
    if (const auto why = resolve_target(op, open_id, leader_open_id)) {
      record_skipped(op, *why);
      return;
    }
    if (!uncertain) {
      if (const auto why = find_resigned_target(op, open_id)) {
        record_skipped(op, *why);
        return;
      }
      if (const auto why = find_precondition_mismatch(op, open_id)) {
        record_skipped(op, *why);
        return;
      }
    }
  }

  std::optional<storage::ApiOutcome> last_failure;
  for (int tries = 0; tries < m_options.max_tries; ++tries) {
    try {
      if (uncertain) {
        if (auto landed = find_landed(op, open_id)) {
          spdlog::info("plan {} operation {} ({} {}): an earlier send had landed", m_plan_id, op.seq,
                       to_string(op.kind), op.employee_no);
          std::lock_guard lock(m_mutex);
          record_done(op, *landed);
          return;
        }
      }
      {
        std::lock_guard lock(m_mutex);
        record_start(op);
      }
      Landed landed = send(op, open_id, leader_open_id);
      if (op.kind == OperationKind::resurrect) {
        // Resurrect answers nothing; the mirror wants the user as they are now.
        try {
          landed.user = m_client.get_user(open_id);
        } catch (const ApiError& e) {
          spdlog::warn("plan {} operation {}: resurrected {}, but reading them back failed ({}); the next "
                       "refresh will see them", m_plan_id, op.seq, open_id, e.what());
        }
      }
      std::lock_guard lock(m_mutex);
      record_done(op, landed);
      return;
    } catch (const InputError& e) {
      // The payload cannot be sent at all: a planner bug, not Feishu's answer.
      storage::ApiOutcome outcome;
      outcome.msg = e.what();
      std::lock_guard lock(m_mutex);
      if (op.state == OperationState::pending) {
        record_start(op);
      }
      record_failed(op, outcome);
      return;
    } catch (const ApiError& e) {
      if (!e.retryable() && !is_token_refusal(e.code())) {
        std::optional<Landed> landed;
        try {
          if (op.kind == OperationKind::delete_user && e.code() == k_user_resigned) {
            landed = Landed{open_id, std::nullopt, outcome_of(e)};
          } else if (uncertain && op.kind == OperationKind::resurrect && e.code() == k_not_resigned) {
            landed = find_landed(op, open_id);
          } else if (uncertain && op.kind == OperationKind::create && is_create_conflict(e.code())) {
            landed = find_landed(op, open_id);
          }
        } catch (const ApiError& lookup) {
          spdlog::warn("plan {} operation {}: looking up whether it landed failed: {}", m_plan_id, op.seq,
                       lookup.what());
          last_failure = outcome_of(e);
          continue;
        }
        std::lock_guard lock(m_mutex);
        if (landed) {
          record_done(op, *landed);
        } else {
          spdlog::warn("plan {} operation {} ({} {}) failed: {}", m_plan_id, op.seq, to_string(op.kind),
                       op.employee_no, e.what());
          record_failed(op, outcome_of(e));
          if (op.kind == OperationKind::resurrect && is_resurrect_refusal(e.code())) {
            m_mirror.record_resurrect_refused(open_id, e.code());
          }
        }
        return;
      }
      spdlog::warn("plan {} operation {} ({} {}): {}; checking whether it landed before trying again", m_plan_id,
                   op.seq, to_string(op.kind), op.employee_no, e.what());
      last_failure = outcome_of(e);
      uncertain = true;
    }
  }
  auto outcome = last_failure.value_or(storage::ApiOutcome{});
  outcome.msg = fmt::format("gave up after {} tries: {}", m_options.max_tries, outcome.msg);
  std::lock_guard lock(m_mutex);
  if (op.state == OperationState::pending) {
    record_start(op);
  }
  record_failed(op, outcome);
}

int Applier::record_start(Operation& op)
{
  ++m_requests;
  const int attempts = m_journal.start(op.id, m_options.now());
  op.state = OperationState::in_flight;
  return attempts;
}

void Applier::record_done(Operation& op, const Landed& landed)
{
  const auto now = m_options.now();
  if (op.state == OperationState::pending) {
    // Found landed without being sent by this run: it still passes through in_flight.
    record_start(op);
  }
  m_journal.finish_done(op.id, landed.open_id, landed.outcome, now, [&] {
    if (landed.user) {
      m_mirror.record_user(*landed.user, now);
    }
    if (op.kind == OperationKind::delete_user) {
      m_mirror.record_resigned(landed.open_id, now);
    }
    if ((op.kind == OperationKind::create || op.kind == OperationKind::resurrect) && !op.employee_no.empty()) {
      m_mirror.record_link(op.employee_no, landed.open_id,
                           op.kind == OperationKind::create ? storage::LinkMethod::created
                                                            : storage::LinkMethod::resurrected,
                           m_plan_id, now);
    }
  });
  finished(m_index_by_id.at(op.id), OperationState::done);
}

void Applier::record_failed(Operation& op, const storage::ApiOutcome& outcome)
{
  m_journal.finish_failed(op.id, outcome, m_options.now());
  finished(m_index_by_id.at(op.id), OperationState::failed);
}

void Applier::record_skipped(Operation& op, const std::string& why)
{
  spdlog::info("plan {} operation {} ({} {}) skipped: {}", m_plan_id, op.seq, to_string(op.kind), op.employee_no, why);
  m_journal.skip(op.id, why, m_options.now());
  finished(m_index_by_id.at(op.id), OperationState::skipped);
}

// Called with m_mutex held: releases the operations that waited for this one, and reports progress.
void Applier::finished(std::size_t index, OperationState state)
{
  Node& node = m_nodes[index];
  node.finished = true;
  node.op.state = state;
  --m_unfinished;
  for (const auto d : node.dependents) {
    if (--m_nodes[d].waiting_for == 0) {
      m_ready.emplace(m_nodes[d].op.seq, d);
    }
  }
  m_changed.notify_all();

  ++m_finished_by_this_run;
  ++m_progress.finished;
  switch (state) {
    case OperationState::done: ++m_progress.done; break;
    case OperationState::failed: ++m_progress.failed; break;
    case OperationState::skipped: ++m_progress.skipped; break;
    default: break;
  }
  const auto now = std::chrono::steady_clock::now();
  m_progress.seconds = std::chrono::duration<double>(now - m_started).count();
  m_progress.rate = m_progress.seconds > 0 ? m_finished_by_this_run / m_progress.seconds : 0;
  if (m_options.on_progress) {
    m_options.on_progress(m_progress);
  }
  if (now - m_last_log >= m_options.log_every) {
    m_last_log = now;
    spdlog::info("plan {}: {}/{} operations finished ({} done, {} failed, {} skipped), {:.1f}/s", m_plan_id,
                 m_progress.finished, m_progress.total, m_progress.done, m_progress.failed, m_progress.skipped,
                 m_progress.rate);
  }
}

ApplySummary Applier::run()
{
  ApplySummary summary;
  summary.plan_id = m_plan_id;
  const auto plan = m_journal.find_plan(m_plan_id);
  if (!plan) {
    throw StorageError(fmt::format("{}: there is no plan {}", m_db.file().string(), m_plan_id));
  }
  if (plan->status == PlanStatus::applying) {
    summary.resumed = true;
  } else if (plan->status == PlanStatus::approved) {
    m_journal.begin_plan(m_plan_id, m_options.now());
  } else if (plan->status == PlanStatus::held) {
    throw StorageError(fmt::format("plan {} is held by a safety rule; read it (dirsync status) and release it "
                                   "with `dirsync approve {}`", m_plan_id, m_plan_id));
  } else {
    throw StorageError(fmt::format("plan {} is {}: only an approved plan can be applied, or an applying one resumed",
                                   m_plan_id, to_string(plan->status)));
  }

  m_started = std::chrono::steady_clock::now();
  m_last_log = m_started;
  auto ops = m_journal.load_operations(m_plan_id);
  m_progress.plan_id = m_plan_id;
  m_progress.total = static_cast<int>(ops.size());
  for (const auto& op : ops) {
    m_progress.done += op.state == OperationState::done;
    m_progress.failed += op.state == OperationState::failed;
    m_progress.skipped += op.state == OperationState::skipped;
  }
  m_progress.finished = m_progress.done + m_progress.failed + m_progress.skipped;
  const auto in_flight = std::count_if(ops.begin(), ops.end(), [](const Operation& op) {
    return op.state == OperationState::in_flight;
  });
  build_graph(std::move(ops));
  if (summary.resumed) {
    spdlog::info("plan {}: resuming: {} operations finished, {} were in flight when the last run stopped, {} to go",
                 m_plan_id, m_progress.finished, in_flight, m_unfinished);
  } else {
    spdlog::info("plan {}: applying {} operations", m_plan_id, m_progress.total);
  }

  const int workers = std::max(1, std::min<int>(m_options.max_in_flight, static_cast<int>(m_unfinished)));
  std::vector<std::thread> threads;
  for (int i = 1; i < workers; ++i) {
    threads.emplace_back([this] { work(); });
  }
  work();
  for (auto& t : threads) {
    t.join();
  }
  if (m_failure) {
    std::rethrow_exception(m_failure);
  }

  summary.requests = m_requests;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_started).count();
  summary.tally = m_journal.tally(m_plan_id);
  if (summary.tally.pending + summary.tally.in_flight > 0) {
    summary.stopped = true;
    summary.status = PlanStatus::applying;
    spdlog::info("plan {}: stopped with {} operations left; `dirsync apply --plan {}` resumes it", m_plan_id,
                 summary.tally.pending + summary.tally.in_flight, m_plan_id);
    return summary;
  }
  if (summary.tally.failed > 0) {
    summary.status = PlanStatus::failed;
    summary.error = fmt::format("{} of {} operations failed (see v_failed_operations WHERE plan_id = {})",
                                summary.tally.failed, summary.tally.total(), m_plan_id);
  } else {
    summary.status = PlanStatus::done;
  }
  m_journal.finish_plan(m_plan_id, summary.status, summary.error, m_options.now());
  const auto log_level = summary.status == PlanStatus::done ? spdlog::level::info : spdlog::level::warn;
  spdlog::log(log_level, "plan {}: {}: {} done, {} failed, {} skipped in {:.1f} s", m_plan_id,
              to_string(summary.status), summary.tally.done, summary.tally.failed, summary.tally.skipped,
              summary.seconds);
  return summary;
}

} // namespace

ApplySummary apply_plan(storage::Database& db, feishu::Client& client, ApplyMirror& mirror, std::int64_t plan_id,
                        const ApplyOptions& options)
{
  return Applier(db, client, mirror, plan_id, options).run();
}

} // namespace dirsync::sync
