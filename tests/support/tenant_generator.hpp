// Deterministic synthetic tenants in the emulator's seed format, for tests and benchmarks.
#pragma once

#include "common/json.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace dirsync::testing {

struct TenantShape
{
  std::size_t users = 100;
  std::size_t departments = 10;  // nested: department i hangs under department (i - 1) / branching
  std::size_t branching = 8;     // children per department (the first level hangs under the root)
  std::size_t resigned = 0;      // the last `resigned` users are resigned (10 days ago)
  std::string app_id = "cli_test";
  std::string app_secret = "test-secret";
};

// Departments D0001.., users E000001.. (employee_no = user_id), round-robin over the departments;
// the first user of a department leads it and is every other member's leader. User E000001 is the
// tenant manager. Mobiles +86139XXXXXXXX and emails eNNNNNN@example.com are unique. The same shape
// always gives the same tenant.
json::Value generate_tenant(const TenantShape& shape);

} // namespace dirsync::testing
