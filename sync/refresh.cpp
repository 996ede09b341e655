// A refresh in stages, each complete before the next starts:
//   1. departments: GET /departments/0/children?fetch_child=true, page by page; a tenant too big
//      for that (43010) is walked level by level instead (each level's departments listed in
//      parallel);
//   2. users: GET /users/find_by_department for the root and every department, on a pool of
//      feishu.max_in_flight threads (the client rate-limits itself and is thread-safe); a user
//      listed in several departments is kept once (every listing carries all their departments);
//   3. leavers: users the mirror has as active that no listing returned are asked for with
//      GET /users/batch: resigned, returned but not listed (kept as active), or not returned at
//      all (out of scope);
//   4. job titles, units and each unit's departments;
//   5. the gate, then one write (storage::MirrorStore::apply_refresh) or only the run's row.
// Memory: the paged users are held once, as the JSON text Feishu sent (about 1.4 KB each), and
// decoded again one at a time when they are written.
#include "sync/refresh.hpp"

#include "common/error.hpp"
#include "storage/mirror_store.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace dirsync::sync {

namespace {

constexpr long long k_big_department = 43010;
constexpr std::size_t k_batch_size = 50;

// Feishu codes that say the app may not read a department or user: its contact scope.
bool is_scope_refusal(long long code)
{
  return code == 40004 || code == 40014 || code == 41050 || code == 99991672;
}

// Thrown inside the paging when RefreshOptions::should_stop says so.
struct Stopped
{
};

// Runs task(i) for every i in [0, count) on up to `workers` threads. The first exception stops
// the tasks not yet started and is rethrown once every thread has finished.
void for_each_parallel(std::size_t count, int workers, const std::function<void(std::size_t)>& task)
{
  if (count == 0) {
    return;
  }
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto worker = [&] {
    while (!stop.load()) {
      const std::size_t i = next.fetch_add(1);
      if (i >= count) {
        return;
      }
      try {
        task(i);
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) {
          failure = std::current_exception();
        }
        stop.store(true);
      }
    }
  };
  const auto threads = static_cast<std::size_t>(std::clamp(workers, 1, 64));
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < std::min(threads, count); ++t) {
    pool.emplace_back(worker);
  }
  worker();
  for (auto& t : pool) {
    t.join();
  }
  if (failure) {
    std::rethrow_exception(failure);
  }
}

// Drops the decoded members the mirror does not use; raw keeps them.
std::uint64_t total(const std::map<std::pair<std::string, std::string>, std::uint64_t>& counts)
{
  std::uint64_t sum = 0;
  for (const auto& [key, n] : counts) {
    sum += n;
  }
  return sum;
}

std::uint64_t total(const std::map<std::string, std::uint64_t>& counts)
{
  std::uint64_t sum = 0;
  for (const auto& [key, n] : counts) {
    sum += n;
  }
  return sum;
}

// The paging of one refresh: what it has collected so far, shared by the worker threads.
class Pager
{
public:
  Pager(feishu::Client& client, const config::Config& config, const RefreshOptions& options)
    : m_client(client),
      m_workers(std::max(1, config.feishu.max_in_flight)),
      m_options(options)
  {
  }

  storage::PagedTenant& tenant() { return m_tenant; }

  // Throws Stopped when the refresh was asked to stop.
  void check_stop() const
  {
    if (m_options.should_stop && m_options.should_stop()) {
      throw Stopped{};
    }
  }
  bool anything_read() const { return m_anything_read.load(); }

  void page_departments()
  {
    stage("departments");
    bool by_level = false;
    try {
      check_stop();
      m_client.list_department_children("0", true, [&](std::vector<feishu::Department>& page) {
        m_anything_read = true;
        add_departments(page);
        check_stop();
      });
    } catch (const ApiError& e) {
      if (e.code() != k_big_department) {
        throw;
      }
      spdlog::info("the tenant is too big to list its departments at once (43010); listing them level by level");
      std::lock_guard lock(m_mutex);
      m_tenant.departments.clear();
      m_departments_seen.clear();
      m_progress.departments = 0;
      by_level = true;
    }
    if (by_level) {
      page_departments_by_level();
    }
  }

  void page_users()
  {
    stage("users");
    std::vector<std::string> ids{"0"};
    for (const auto& d : m_tenant.departments) {
      ids.push_back(d.open_department_id);
    }
    m_users.reserve(m_tenant.departments.size() * 8);
    for_each_parallel(ids.size(), m_workers, [&](std::size_t i) {
      check_stop();
      m_client.list_users_by_department(ids[i], [&](std::vector<feishu::User>& page) {
        check_stop();
        m_anything_read = true;
        std::lock_guard lock(m_mutex);
        for (auto& user : page) {
          if (user.open_id.empty() || m_users.contains(user.open_id)) {
            continue;
          }
          m_users.insert(user.open_id);
          user.raw.shrink_to_fit(); // built by appending: up to twice the capacity it needs
          m_tenant.users.push_back(std::move(user.raw));
        }
        m_progress.users = m_tenant.users.size();
        report();
      });
      std::lock_guard lock(m_mutex);
      ++m_progress.departments_paged;
      report();
    });
  }

  // Sorts the users the mirror had as active and no listing returned into resigned, still visible
  // (kept as listed) and out of scope.
  void check_leavers(const std::vector<std::string>& active_before)
  {
    std::vector<std::string> vanished;
    for (const auto& id : active_before) {
      if (!m_users.contains(id)) {
        vanished.push_back(id);
      }
    }
    if (vanished.empty()) {
      return;
    }
    stage("leavers");
    std::unordered_map<std::string, feishu::User> found;
    const std::size_t batches = (vanished.size() + k_batch_size - 1) / k_batch_size;
    for_each_parallel(batches, m_workers, [&](std::size_t b) {
      check_stop();
      const auto first = vanished.begin() + static_cast<std::ptrdiff_t>(b * k_batch_size);
      const auto last = vanished.begin() + static_cast<std::ptrdiff_t>(std::min(vanished.size(), (b + 1) * k_batch_size));
      auto users = m_client.batch_get_users(std::vector<std::string>(first, last));
      std::lock_guard lock(m_mutex);
      for (auto& u : users) {
        found.emplace(u.open_id, std::move(u));
      }
    });
    for (const auto& id : vanished) {
      const auto it = found.find(id);
      if (it == found.end()) {
        m_tenant.out_of_scope.push_back(id);
      } else if (it->second.status.is_resigned) {
        m_tenant.resigned.push_back(std::move(it->second));
      } else {
        // Visible and not resigned, but in no listing (moved while we paged): still here.
        m_users.insert(id);
        m_tenant.users.push_back(std::move(it->second.raw));
      }
    }
  }

  void page_job_titles()
  {
    stage("job titles");
    m_client.list_job_titles([&](std::vector<feishu::JobTitle>& page) {
      std::move(page.begin(), page.end(), std::back_inserter(m_tenant.job_titles));
    });
  }

  void page_units()
  {
    stage("units");
    m_client.list_units([&](std::vector<feishu::Unit>& page) {
      std::move(page.begin(), page.end(), std::back_inserter(m_tenant.units));
    });
    for_each_parallel(m_tenant.units.size(), m_workers, [&](std::size_t i) {
      check_stop();
      const std::string unit_id = m_tenant.units[i].unit_id;
      m_client.list_unit_departments(unit_id, [&](std::vector<feishu::UnitDepartment>& page) {
        std::lock_guard lock(m_mutex);
        for (auto& binding : page) {
          if (binding.unit_id.empty()) {
            binding.unit_id = unit_id;
          }
          m_tenant.unit_departments.push_back(std::move(binding));
        }
      });
    });
  }

  void stage(std::string name)
  {
    std::lock_guard lock(m_mutex);
    m_progress.stage = std::move(name);
    report();
  }

private:
  void page_departments_by_level()
  {
    std::vector<std::string> level{"0"};
    while (!level.empty()) {
      std::vector<std::vector<feishu::Department>> children(level.size());
      for_each_parallel(level.size(), m_workers, [&](std::size_t i) {
        check_stop();
        m_client.list_department_children(level[i], false, [&](std::vector<feishu::Department>& page) {
          m_anything_read = true;
          std::move(page.begin(), page.end(), std::back_inserter(children[i]));
        });
      });
      std::vector<std::string> next;
      for (auto& list : children) {
        for (const auto& d : list) {
          if (!m_departments_seen.contains(d.open_department_id)) {
            next.push_back(d.open_department_id);
          }
        }
        add_departments(list);
      }
      level = std::move(next);
    }
  }

  void add_departments(std::vector<feishu::Department>& page)
  {
    std::lock_guard lock(m_mutex);
    for (auto& d : page) {
      if (!d.open_department_id.empty() && m_departments_seen.insert(d.open_department_id).second) {
        m_tenant.departments.push_back(std::move(d));
      }
    }
    m_progress.departments = m_tenant.departments.size();
    report();
  }

  // With m_mutex held.
  void report()
  {
    if (m_options.on_progress) {
      m_options.on_progress(m_progress);
    }
  }

  feishu::Client& m_client;
  int m_workers;
  const RefreshOptions& m_options;
  std::mutex m_mutex;
  storage::PagedTenant m_tenant;
  std::unordered_set<std::string> m_departments_seen;
  std::unordered_set<std::string> m_users; // open_ids of m_tenant.users
  RefreshProgress m_progress;
  std::atomic<bool> m_anything_read{false};
};

storage::RefreshCosts costs_since(const feishu::ClientMetrics& before, const feishu::ClientMetrics& after)
{
  storage::RefreshCosts costs;
  costs.api_requests = static_cast<std::int64_t>(total(after.requests) - total(before.requests));
  costs.rate_limit_waits = static_cast<std::int64_t>(total(after.rate_limit_waits) - total(before.rate_limit_waits));
  return costs;
}

std::string describe(const ApiError& e)
{
  return e.what();
}

} // namespace

double shrink_percent(std::size_t before, std::size_t lost)
{
  if (before == 0) {
    return 0;
  }
  return 100.0 * static_cast<double>(lost) / static_cast<double>(before);
}

RefreshOutcome refresh_mirror(feishu::Client& client, storage::Database& db, const config::Config& config,
                              const RefreshOptions& options)
{
  storage::MirrorStore store(db);
  const auto metrics_before = client.metrics();
  const auto started = std::chrono::steady_clock::now();
  const std::int64_t run_id = store.begin_refresh(options.now(), config.feishu.base_url, config.feishu.app_id);
  spdlog::info("refresh {}: paging {} (app {}) into {}", run_id, config.feishu.base_url, config.feishu.app_id,
               db.file().string());

  RefreshOutcome outcome;
  Pager pager(client, config, options);
  auto finish_without_writing = [&](storage::RefreshEnd end) {
    const auto& tenant = pager.tenant();
    end.departments_seen = static_cast<std::int64_t>(tenant.departments.size());
    end.users_seen = static_cast<std::int64_t>(tenant.users.size());
    end.job_titles_seen = static_cast<std::int64_t>(tenant.job_titles.size());
    end.units_seen = static_cast<std::int64_t>(tenant.units.size());
    end.costs = costs_since(metrics_before, client.metrics());
    store.finish_refresh(run_id, options.now(), end);
    outcome.paging_time = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    outcome.run = *store.find_refresh(run_id);
    return outcome;
  };

  std::size_t active_before = 0;
  try {
    const auto active = store.active_user_ids();
    active_before = active.size();
    pager.page_departments();
    pager.page_users();
    pager.check_leavers(active);
    pager.page_job_titles();
    pager.page_units();
    pager.check_stop();
  } catch (const Stopped&) {
    storage::RefreshEnd end;
    end.result = storage::RefreshResult::failed;
    end.error = "stopped before it finished (dirsync was asked to stop)";
    spdlog::info("refresh {}: {}; the mirror was left as it was", run_id, end.error);
    return finish_without_writing(std::move(end));
  } catch (const ApiError& e) {
    storage::RefreshEnd end;
    if (is_scope_refusal(e.code())) {
      end.result = storage::RefreshResult::untrusted;
      end.trust_reason = fmt::format("Feishu refused the app part of the tenant ({}): its contact scope may have "
                                     "been narrowed; the mirror was left as it was",
                                     describe(e));
      spdlog::warn("refresh {} is not trusted: {}", run_id, end.trust_reason);
    } else if (pager.anything_read()) {
      end.result = storage::RefreshResult::untrusted;
      end.trust_reason = fmt::format("paging failed part-way ({}); the mirror was left as it was", describe(e));
      spdlog::warn("refresh {} is not trusted: {}", run_id, end.trust_reason);
    } else {
      end.result = storage::RefreshResult::failed;
      end.error = fmt::format("could not read the tenant: {}", describe(e));
      spdlog::error("refresh {} failed: {}", run_id, end.error);
    }
    if (end.error.empty()) {
      end.error = describe(e);
    }
    return finish_without_writing(std::move(end));
  } catch (const Error& e) {
    storage::RefreshEnd end;
    end.result = storage::RefreshResult::failed;
    end.error = e.what();
    spdlog::error("refresh {} failed: {}", run_id, end.error);
    return finish_without_writing(std::move(end));
  }

  auto& tenant = pager.tenant();
  outcome.paging_time = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  const std::size_t lost = tenant.resigned.size() + tenant.out_of_scope.size();
  const double shrink = shrink_percent(active_before, lost);
  const double limit = config.sync.safety.max_mirror_shrink_percent;
  if (shrink > limit) {
    const std::string what = fmt::format(
      "it lost {} of the mirror's {} active users ({:.1f}%, more than sync.safety.max_mirror_shrink_percent {}%): "
      "{} resigned, {} no longer visible to the app",
      lost, active_before, shrink, limit, tenant.resigned.size(), tenant.out_of_scope.size());
    if (!options.accept_shrink) {
      storage::RefreshEnd end;
      end.result = storage::RefreshResult::untrusted;
      end.trust_reason = what + (tenant.out_of_scope.empty() ? "" : " (a narrowed app contact scope looks like this)") +
                         ". The mirror was left as it was; if the change is real, run `dirsync refresh --accept-shrink`";
      spdlog::warn("refresh {} is not trusted: {}", run_id, end.trust_reason);
      return finish_without_writing(std::move(end));
    }
    spdlog::warn("refresh {}: {}; written anyway (--accept-shrink)", run_id, what);
  }

  try {
    if (options.on_progress) {
      RefreshProgress p;
      p.stage = "writing";
      p.departments = tenant.departments.size();
      p.departments_paged = tenant.departments.size() + 1;
      p.users = tenant.users.size();
      options.on_progress(p);
    }
    const auto writing = std::chrono::steady_clock::now();
    outcome.run = store.apply_refresh(run_id, tenant, options.now(), costs_since(metrics_before, client.metrics()));
    outcome.writing_time =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - writing);
  } catch (const StorageError& e) {
    storage::RefreshEnd end;
    end.result = storage::RefreshResult::failed;
    end.error = e.what();
    spdlog::error("refresh {} failed: {}", run_id, end.error);
    return finish_without_writing(std::move(end));
  }
  const auto& run = outcome.run;
  spdlog::info("refresh {}: ok: {} departments, {} users ({} added, {} changed, {} resigned, {} out of scope), "
               "{} job titles, {} units; {} requests, {} rate-limit waits; paging {:.1f} s, writing {:.1f} s",
               run_id, run.departments_seen, run.users_seen, run.users_added, run.users_changed, run.users_resigned,
               run.users_out_of_scope, run.job_titles_seen, run.units_seen, run.api_requests, run.rate_limit_waits,
               static_cast<double>(outcome.paging_time.count()) / 1000.0,
               static_cast<double>(outcome.writing_time.count()) / 1000.0);
  return outcome;
}

} // namespace dirsync::sync
