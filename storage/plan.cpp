#include "storage/plan.hpp"

#include <array>
#include <utility>

namespace dirsync::storage {

namespace {

template <typename Enum, std::size_t N>
std::string_view name_of(const std::array<std::pair<Enum, std::string_view>, N>& names, Enum value)
{
  for (const auto& [e, name] : names) {
    if (e == value) {
      return name;
    }
  }
  return "unknown";
}

template <typename Enum, std::size_t N>
std::optional<Enum> value_of(const std::array<std::pair<Enum, std::string_view>, N>& names,
                             std::string_view text)
{
  for (const auto& [e, name] : names) {
    if (name == text) {
      return e;
    }
  }
  return std::nullopt;
}

constexpr std::array<std::pair<OperationKind, std::string_view>, 6> k_kinds{{
  {OperationKind::create, "create"},
  {OperationKind::update, "update"},
  {OperationKind::delete_user, "delete"},
  {OperationKind::resurrect, "resurrect"},
  {OperationKind::freeze, "freeze"},
  {OperationKind::set_leader, "set_leader"},
}};

constexpr std::array<std::pair<OperationState, std::string_view>, 5> k_states{{
  {OperationState::pending, "pending"},
  {OperationState::in_flight, "in_flight"},
  {OperationState::done, "done"},
  {OperationState::failed, "failed"},
  {OperationState::skipped, "skipped"},
}};

constexpr std::array<std::pair<PlanStatus, std::string_view>, 7> k_statuses{{
  {PlanStatus::draft, "draft"},
  {PlanStatus::held, "held"},
  {PlanStatus::approved, "approved"},
  {PlanStatus::applying, "applying"},
  {PlanStatus::done, "done"},
  {PlanStatus::failed, "failed"},
  {PlanStatus::superseded, "superseded"},
}};

constexpr std::array<std::pair<LinkMethod, std::string_view>, 5> k_methods{{
  {LinkMethod::employee_no, "employee_no"},
  {LinkMethod::email, "email"},
  {LinkMethod::mobile, "mobile"},
  {LinkMethod::created, "created"},
  {LinkMethod::resurrected, "resurrected"},
}};

} // namespace

std::string_view to_string(OperationKind kind)
{
  return name_of(k_kinds, kind);
}

std::string_view to_string(OperationState state)
{
  return name_of(k_states, state);
}

std::string_view to_string(PlanStatus status)
{
  return name_of(k_statuses, status);
}

std::optional<OperationKind> try_parse_operation_kind(std::string_view text)
{
  return value_of(k_kinds, text);
}

std::optional<OperationState> try_parse_operation_state(std::string_view text)
{
  return value_of(k_states, text);
}

std::optional<PlanStatus> try_parse_plan_status(std::string_view text)
{
  return value_of(k_statuses, text);
}

std::string_view to_string(LinkMethod method)
{
  return name_of(k_methods, method);
}

std::optional<LinkMethod> try_parse_link_method(std::string_view text)
{
  return value_of(k_methods, text);
}

} // namespace dirsync::storage
