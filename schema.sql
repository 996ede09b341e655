-- The database of feishu-dirsync (mirror.db): the one source of truth for its schema.
--
-- It holds three kinds of data:
--   * the mirror of the Feishu tenant (departments, users, user_departments, job_titles, units,
--     unit_departments, user_history), written by each refresh;
--   * what HR sent (hr_files, hr_rows) and who is who (links: employee number -> Feishu user);
--   * what dirsync decided and did (refresh_runs, plans, operations: the journal).
--
-- This file is embedded into the dirsync binary. A new database is created from it and stamped with
-- the schema version in PRAGMA user_version; an older database is brought up to date by the ordered
-- migrations of product_schema() in storage/database.cpp. To change the schema: edit it here, bump
-- k_schema_version (storage/database.hpp) and add the migration from the previous version there.
--
-- Conventions, for admins reading it with sqlite3:
--   * Every table and view starts with a comment saying what a row means (`.schema users` shows it).
--   * Times are INTEGER unix seconds (UTC) in the tables; the v_* views show them as
--     'YYYY-MM-DD HH:MM:SS' text in UTC, so `WHERE created_at >= datetime('now', '-7 days')` works.
--   * Booleans are INTEGER 0 or 1. JSON columns hold valid JSON text (checked); read them with json_extract()
--     and json_each(), which every SQLite since 3.9 has.
--   * Users are keyed by open_id (ou_...), departments by open_department_id (od-...); the root
--     department is stored with open_department_id '0'.
--   * References to other mirrored objects (a department's parent, a user's leader, a user's
--     departments) are not foreign keys: Feishu shows the app only part of a tenant when its
--     contact scope is narrowed, so they may point outside the mirror. Everything dirsync itself
--     records (links, HR rows, plans, operations, history) is tied together with foreign keys.
--   * CHECK constraints guard what dirsync decides (states, kinds, JSON, its own invariants). Values
--     copied from Feishu are stored as Feishu sent them, so an unexpected value there can never make
--     a refresh fail.

-- ------------------------------------------------------------------------------------------------
-- The mirror of the tenant
-- ------------------------------------------------------------------------------------------------

CREATE TABLE refresh_runs (
  -- One row per refresh: dirsync paging the tenant's departments, users, job titles and units
  -- into this database. result is NULL while it runs (or if dirsync stopped during it); 'ok' when
  -- the mirror was updated and may be planned against; 'untrusted' when the mirror gate refused
  -- it (trust_reason says why: it lost too many users, the app was refused part of the tenant, or
  -- paging failed part-way); 'failed' when it could not read the tenant at all or the database
  -- failed (error says why). Only an 'ok' refresh writes the mirror tables: the others write
  -- nothing but this row, and plans refuse the mirror until the newest refresh is 'ok'.
  id                  INTEGER PRIMARY KEY,
  started_at          INTEGER NOT NULL,
  finished_at         INTEGER,
  result              TEXT CHECK (result IN ('ok', 'failed', 'untrusted')),
  trust_reason        TEXT,               -- why an 'untrusted' run was not trusted
  error               TEXT,               -- why a 'failed' run failed
  base_url            TEXT NOT NULL,      -- the Feishu (or emulator) address it read from
  app_id              TEXT NOT NULL,      -- the app whose view of the tenant it read
  departments_seen    INTEGER NOT NULL DEFAULT 0 CHECK (departments_seen >= 0),
  users_seen          INTEGER NOT NULL DEFAULT 0 CHECK (users_seen >= 0),     -- in the listings
  users_added         INTEGER NOT NULL DEFAULT 0 CHECK (users_added >= 0),    -- new to the mirror
  users_changed       INTEGER NOT NULL DEFAULT 0 CHECK (users_changed >= 0),  -- listed before and now, with a new history row
  users_resigned      INTEGER NOT NULL DEFAULT 0 CHECK (users_resigned >= 0), -- newly resigned
  users_out_of_scope  INTEGER NOT NULL DEFAULT 0 CHECK (users_out_of_scope >= 0), -- newly invisible
  job_titles_seen     INTEGER NOT NULL DEFAULT 0 CHECK (job_titles_seen >= 0),
  units_seen          INTEGER NOT NULL DEFAULT 0 CHECK (units_seen >= 0),
  api_requests        INTEGER NOT NULL DEFAULT 0 CHECK (api_requests >= 0),
  rate_limit_waits    INTEGER NOT NULL DEFAULT 0 CHECK (rate_limit_waits >= 0), -- requests that waited for a rate limit (dirsync's own or a 429)
  CHECK ((result IS NULL) = (finished_at IS NULL)),
  CHECK (finished_at IS NULL OR finished_at >= started_at),
  CHECK (result IS NOT 'untrusted' OR trust_reason IS NOT NULL),
  CHECK (result IS NOT 'failed' OR error IS NOT NULL)
);
CREATE INDEX refresh_runs_by_result ON refresh_runs (result, started_at);

CREATE TABLE departments (
  -- One row per Feishu department dirsync has seen, including the root (open_department_id '0',
  -- parent NULL). Departments are never removed: one that disappears is marked 'deleted' (Feishu
  -- says so) or 'out_of_scope' (the app can no longer see it). Fields not broken out (leaders,
  -- HRBPs, chat id, unit ids, ...) are in raw, the department object as Feishu returned it.
  open_department_id        TEXT PRIMARY KEY NOT NULL,  -- 'od-...', or '0' for the root
  department_id             TEXT,                       -- the tenant's own id (HR codes), if any
  parent_open_department_id TEXT,                       -- '0' for top-level departments; NULL for the root
  name                      TEXT NOT NULL,
  i18n_name                 TEXT CHECK (i18n_name IS NULL OR json_valid(i18n_name)), -- {"zh_cn":..,"en_us":..}
  leader_open_id            TEXT,                       -- the main leader (a user's open_id)
  sort_order                INTEGER,                    -- Feishu's "order": smaller sorts first
  member_count              INTEGER,                    -- incl. sub-departments
  primary_member_count      INTEGER,
  is_deleted                INTEGER NOT NULL DEFAULT 0 CHECK (is_deleted IN (0, 1)), -- Feishu's status.is_deleted
  mirror_state              TEXT NOT NULL DEFAULT 'active'
                              CHECK (mirror_state IN ('active', 'deleted', 'out_of_scope')),
  raw                       TEXT NOT NULL CHECK (json_valid(raw)),
  first_seen                INTEGER NOT NULL,
  last_seen                 INTEGER NOT NULL,
  CHECK ((open_department_id = '0') = (parent_open_department_id IS NULL)),
  CHECK (last_seen >= first_seen)
);
CREATE INDEX departments_by_parent ON departments (parent_open_department_id);
CREATE INDEX departments_by_department_id ON departments (department_id);
CREATE INDEX departments_by_name ON departments (name);

CREATE TABLE users (
  -- One row per Feishu user dirsync has seen. Users are never removed: mirror_state says whether
  -- the user is 'active' (in the listings), 'resigned' (deleted in Feishu; kept so that a rehire
  -- can be resurrected) or 'out_of_scope' (vanished from the listings but not resigned: the app
  -- can no longer see them). The is_* flags are Feishu's own status. Fields not broken out
  -- (avatar, custom attributes, dotted-line leaders, orders, ...) are in raw, the user object as
  -- Feishu returned it.
  open_id            TEXT PRIMARY KEY NOT NULL,   -- 'ou_...': the key of a user in this database
  user_id            TEXT,                        -- tenant-wide id; present only with its field scope
  union_id           TEXT,
  employee_no        TEXT,                        -- as stored in Feishu (dirsync sets it on create)
  name               TEXT NOT NULL,
  en_name            TEXT,
  nickname           TEXT,
  email              TEXT,
  enterprise_email   TEXT,
  mobile             TEXT,                        -- as Feishu returns it ('+86...' or national)
  leader_open_id     TEXT,                        -- direct leader (may be outside the mirror)
  job_title          TEXT,                        -- Feishu's free-text job title
  employee_type      INTEGER,                     -- 1 full-time, 2 intern, 3 outsourced, 4 contractor, 5 consultant, or a tenant value
  join_time          INTEGER,                     -- unix seconds
  city               TEXT,
  country            TEXT,
  work_station       TEXT,
  gender             INTEGER,                     -- 0 secret, 1 male, 2 female, 3 other
  is_tenant_manager  INTEGER NOT NULL DEFAULT 0 CHECK (is_tenant_manager IN (0, 1)),
  is_frozen          INTEGER NOT NULL DEFAULT 0 CHECK (is_frozen IN (0, 1)),
  is_resigned        INTEGER NOT NULL DEFAULT 0 CHECK (is_resigned IN (0, 1)),
  is_activated       INTEGER NOT NULL DEFAULT 0 CHECK (is_activated IN (0, 1)),
  is_exited          INTEGER NOT NULL DEFAULT 0 CHECK (is_exited IN (0, 1)),
  is_unjoin          INTEGER NOT NULL DEFAULT 0 CHECK (is_unjoin IN (0, 1)), -- invited, not yet joined
  mirror_state       TEXT NOT NULL DEFAULT 'active'
                       CHECK (mirror_state IN ('active', 'resigned', 'out_of_scope')),
  resigned_seen_at   INTEGER,                     -- when dirsync first saw the resignation (for a user
                                                  -- found already resigned by a rehire look-up: then)
  resurrect_refused  INTEGER,                     -- Feishu's code refusing dirsync's last resurrect of this
                                                  -- resigned user: 44028 past the recoverable time, 44030/
                                                  -- 44031/44032 mobile/email/user_id held by another user;
                                                  -- NULL when none, cleared when the user is active again
  raw                TEXT NOT NULL CHECK (json_valid(raw)),
  first_seen         INTEGER NOT NULL,
  last_seen          INTEGER NOT NULL,
  CHECK (mirror_state IS NOT 'resigned' OR resigned_seen_at IS NOT NULL),
  CHECK (resurrect_refused IS NULL OR mirror_state = 'resigned'),
  CHECK (last_seen >= first_seen)
);
CREATE INDEX users_by_employee_no ON users (employee_no);
CREATE INDEX users_by_email ON users (email COLLATE NOCASE);
CREATE INDEX users_by_mobile ON users (mobile);
CREATE INDEX users_by_user_id ON users (user_id);
CREATE INDEX users_by_leader ON users (leader_open_id);
CREATE INDEX users_by_state ON users (mirror_state);

CREATE TABLE user_departments (
  -- One row per department a user belongs to in Feishu (a user may be in several). is_primary
  -- marks the primary department (at most one per user). The orders are Feishu's: larger sorts
  -- first. The department may be one the app cannot see (then it has no row in departments).
  open_id             TEXT NOT NULL REFERENCES users (open_id) ON DELETE CASCADE,
  open_department_id  TEXT NOT NULL,
  user_order          INTEGER NOT NULL DEFAULT 0,  -- the user's order within the department
  department_order    INTEGER NOT NULL DEFAULT 0,  -- the department's order among the user's
  is_primary          INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1)),
  PRIMARY KEY (open_id, open_department_id)
) WITHOUT ROWID;
CREATE INDEX user_departments_by_department ON user_departments (open_department_id, open_id);
CREATE UNIQUE INDEX user_departments_one_primary ON user_departments (open_id) WHERE is_primary = 1;

CREATE TABLE job_titles (
  -- One row per job title defined in the tenant (Feishu's job title list). Users carry their
  -- job title as text (users.job_title); this table is the tenant's catalogue. A refresh replaces
  -- it: titles no longer listed are removed.
  job_title_id  TEXT PRIMARY KEY NOT NULL,
  name          TEXT NOT NULL,
  i18n_name     TEXT CHECK (i18n_name IS NULL OR json_valid(i18n_name)), -- [{"locale":..,"value":..}]
  is_enabled    INTEGER NOT NULL DEFAULT 1 CHECK (is_enabled IN (0, 1)),
  raw           TEXT NOT NULL CHECK (json_valid(raw)),
  first_seen    INTEGER NOT NULL,
  last_seen     INTEGER NOT NULL,
  CHECK (last_seen >= first_seen)
);
CREATE INDEX job_titles_by_name ON job_titles (name);

CREATE TABLE units (
  -- One row per unit (单位) of the tenant: a grouping of departments, e.g. a subsidiary or a
  -- region. Only flagship tenants have units; elsewhere this table stays empty. A refresh
  -- replaces it: units no longer listed are removed, with their bindings.
  unit_id     TEXT PRIMARY KEY NOT NULL,
  name        TEXT NOT NULL,
  unit_type   TEXT NOT NULL,
  raw         TEXT NOT NULL CHECK (json_valid(raw)),
  first_seen  INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL,
  CHECK (last_seen >= first_seen)
);

CREATE TABLE unit_departments (
  -- One row per department bound to a unit. A department belongs to at most one unit; its
  -- sub-departments belong to it too unless bound themselves (v_department_paths works that out).
  unit_id             TEXT NOT NULL REFERENCES units (unit_id) ON DELETE CASCADE,
  open_department_id  TEXT NOT NULL UNIQUE,
  PRIMARY KEY (unit_id, open_department_id)
) WITHOUT ROWID;

CREATE TABLE user_history (
  -- One row per version of a user as the mirror saw it: the user looked like this from
  -- valid_from until valid_to (NULL: still does). A refresh that sees a change closes the current
  -- version and opens a new one, so "who was where, when" is a query. The department path is
  -- kept as it was then, so renaming a department later does not rewrite history.
  id                       INTEGER PRIMARY KEY,
  open_id                  TEXT NOT NULL REFERENCES users (open_id),
  valid_from               INTEGER NOT NULL,
  valid_to                 INTEGER,
  refresh_run_id           INTEGER REFERENCES refresh_runs (id), -- the refresh that saw it (NULL: recorded by an apply)
  employee_no              TEXT,
  name                     TEXT NOT NULL,
  en_name                  TEXT,
  email                    TEXT,
  mobile                   TEXT,
  departments              TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(departments)), -- open_department_ids, primary first
  primary_department_path  TEXT,
  leader_open_id           TEXT,
  job_title                TEXT,
  employee_type            INTEGER,
  city                     TEXT,
  work_station             TEXT,
  is_frozen                INTEGER NOT NULL DEFAULT 0 CHECK (is_frozen IN (0, 1)),
  is_resigned              INTEGER NOT NULL DEFAULT 0 CHECK (is_resigned IN (0, 1)),
  mirror_state             TEXT NOT NULL CHECK (mirror_state IN ('active', 'resigned', 'out_of_scope')),
  CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX user_history_one_current ON user_history (open_id) WHERE valid_to IS NULL;
CREATE INDEX user_history_by_user ON user_history (open_id, valid_from);
CREATE INDEX user_history_by_time ON user_history (valid_from);

-- ------------------------------------------------------------------------------------------------
-- What HR sent, and who is who
-- ------------------------------------------------------------------------------------------------

CREATE TABLE hr_files (
  -- One row per HR export dirsync read from the inbox (or was given on the command line), whether
  -- accepted or rejected. A rejected file is never planned from; reason says why (unreadable,
  -- wrong columns, duplicate employee numbers, much smaller than the last export, ...). report
  -- is the same report that was written beside the file as NAME.report.json.
  id              INTEGER PRIMARY KEY,
  path            TEXT NOT NULL,      -- where it was read from
  name            TEXT NOT NULL,      -- the file name HR gave it
  moved_to        TEXT,               -- where it was moved (archive/ or rejected/); NULL if left in place
  sha256          TEXT NOT NULL CHECK (length(sha256) = 64),
  size_bytes      INTEGER NOT NULL CHECK (size_bytes >= 0),
  format          TEXT CHECK (format IN ('csv', 'json', 'jsonl')), -- NULL if it could not be told
  encoding        TEXT,               -- 'utf-8', 'gb18030', ... as detected
  mode            TEXT NOT NULL CHECK (mode IN ('full', 'delta')), -- full: absence means leaver
  received_at     INTEGER NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),
  reason          TEXT,               -- why it was rejected
  rows_total      INTEGER NOT NULL DEFAULT 0 CHECK (rows_total >= 0),
  rows_valid      INTEGER NOT NULL DEFAULT 0 CHECK (rows_valid >= 0),
  rows_invalid    INTEGER NOT NULL DEFAULT 0 CHECK (rows_invalid >= 0),
  present         INTEGER NOT NULL DEFAULT 0 CHECK (present >= 0), -- people it lists (active + held): what the shrink gate compares
  report          TEXT CHECK (report IS NULL OR json_valid(report)),
  CHECK (rows_total = rows_valid + rows_invalid),
  CHECK ((status = 'rejected') = (reason IS NOT NULL))
);
CREATE INDEX hr_files_by_status ON hr_files (status, mode, received_at);
CREATE INDEX hr_files_by_sha256 ON hr_files (sha256);

CREATE TABLE hr_rows (
  -- One row per data row of an HR file, normalized: emails trimmed and lower-cased, mobiles in
  -- E.164, dates as YYYY-MM-DD, values mapped through hr.values. The valid rows of the newest
  -- accepted file are the roster that plans are made from. A row with problems (is_valid = 0) is
  -- never acted on; problems lists what is wrong with it (warnings may appear on valid rows).
  hr_file_id          INTEGER NOT NULL REFERENCES hr_files (id) ON DELETE CASCADE,
  row_number          INTEGER NOT NULL CHECK (row_number >= 1), -- as in the file's report: the spreadsheet row (header = 1), JSON Lines line, or JSON array position
  employee_no         TEXT,
  name                TEXT,
  en_name             TEXT,
  email               TEXT,
  mobile              TEXT,
  department          TEXT,               -- as HR wrote it: a path joined with '/', or a department_id (hr.department_key)
  department_path     TEXT CHECK (department_path IS NULL OR json_valid(department_path)), -- the path's levels: ["总部","技术部"]
  job_title           TEXT,
  leader_employee_no  TEXT,
  employee_type       INTEGER,
  join_time           INTEGER,            -- unix seconds of the join date (00:00 China Standard Time)
  join_date           TEXT CHECK (join_date IS NULL OR join_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'), -- the same, as a date
  status              TEXT CHECK (status IN ('active', 'terminated')),
  city                TEXT,
  work_station        TEXT,
  gender              INTEGER CHECK (gender IN (0, 1, 2, 3)),
  is_valid            INTEGER NOT NULL CHECK (is_valid IN (0, 1)),
  problems            TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(problems)), -- [{"column":..,"severity":..,"code":..,"message":..}]
  source              TEXT CHECK (source IS NULL OR json_valid(source)), -- the row as read: {"column": "value"}
  PRIMARY KEY (hr_file_id, row_number),
  CHECK (is_valid = 0 OR employee_no IS NOT NULL)
);
CREATE INDEX hr_rows_by_employee_no ON hr_rows (employee_no, hr_file_id);
CREATE UNIQUE INDEX hr_rows_one_valid_per_employee ON hr_rows (hr_file_id, employee_no) WHERE is_valid = 1;
CREATE INDEX hr_rows_invalid ON hr_rows (hr_file_id) WHERE is_valid = 0;

CREATE TABLE links (
  -- One row per link between an HR employee number and a Feishu user: the anchor of matching.
  -- A link is made once (method says how: the Feishu user already had the employee number, or
  -- matched by email or mobile on the first link, or dirsync created or resurrected the user) and
  -- plans follow it afterwards. A link that no longer holds (e.g. a rehire who got a new Feishu
  -- account) is closed with unlinked_at and a reason, and kept as history. At any time an
  -- employee number has at most one current link, and so has a Feishu user.
  id             INTEGER PRIMARY KEY,
  employee_no    TEXT NOT NULL,
  open_id        TEXT NOT NULL REFERENCES users (open_id),
  method         TEXT NOT NULL CHECK (method IN ('employee_no', 'email', 'mobile', 'created', 'resurrected')),
  linked_at      INTEGER NOT NULL,
  plan_id        INTEGER REFERENCES plans (id),  -- the plan that made it, if one did
  unlinked_at    INTEGER,
  unlink_reason  TEXT,
  CHECK ((unlinked_at IS NULL) = (unlink_reason IS NULL)),
  CHECK (unlinked_at IS NULL OR unlinked_at >= linked_at)
);
CREATE UNIQUE INDEX links_current_by_employee_no ON links (employee_no) WHERE unlinked_at IS NULL;
CREATE UNIQUE INDEX links_current_by_open_id ON links (open_id) WHERE unlinked_at IS NULL;
CREATE INDEX links_by_employee_no ON links (employee_no, linked_at);
CREATE INDEX links_by_open_id ON links (open_id, linked_at);

-- ------------------------------------------------------------------------------------------------
-- What dirsync decided and did
-- ------------------------------------------------------------------------------------------------

CREATE TABLE plans (
  -- One row per plan: the changes dirsync worked out from one HR file against one refresh of the
  -- mirror, stored before anything is applied. status moves draft -> (held ->) approved ->
  -- applying -> done | failed; a plan overtaken by a newer one before it was applied becomes
  -- superseded. A held plan broke a safety rule (held_reasons lists them) and waits for
  -- `dirsync approve ID`. The counts are the operations of each kind in the plan.
  id                INTEGER PRIMARY KEY,
  created_at        INTEGER NOT NULL,
  hr_file_id        INTEGER NOT NULL REFERENCES hr_files (id),
  refresh_run_id    INTEGER NOT NULL REFERENCES refresh_runs (id),
  status            TEXT NOT NULL DEFAULT 'draft'
                      CHECK (status IN ('draft', 'held', 'approved', 'applying', 'done', 'failed', 'superseded')),
  held_reasons      TEXT CHECK (held_reasons IS NULL OR json_valid(held_reasons)), -- ["3 deletes > max_deletes 2", ...]
  managed_users     INTEGER NOT NULL DEFAULT 0 CHECK (managed_users >= 0), -- users in scope, the base of the percent gates
  creates           INTEGER NOT NULL DEFAULT 0 CHECK (creates >= 0),
  updates           INTEGER NOT NULL DEFAULT 0 CHECK (updates >= 0),
  deletes           INTEGER NOT NULL DEFAULT 0 CHECK (deletes >= 0),
  resurrects        INTEGER NOT NULL DEFAULT 0 CHECK (resurrects >= 0),
  freezes           INTEGER NOT NULL DEFAULT 0 CHECK (freezes >= 0),
  set_leaders       INTEGER NOT NULL DEFAULT 0 CHECK (set_leaders >= 0),
  approved_by       TEXT,               -- who released it: a user name, or 'auto' when no rule held it
  approved_at       INTEGER,
  started_at        INTEGER,            -- when applying began
  finished_at       INTEGER,            -- when it ended (done, failed or superseded)
  error             TEXT,               -- why a 'failed' plan failed as a whole
  CHECK (status IS NOT 'held' OR held_reasons IS NOT NULL),
  CHECK ((approved_by IS NULL) = (approved_at IS NULL)),
  CHECK (status NOT IN ('approved', 'applying', 'done') OR approved_at IS NOT NULL),
  CHECK (status NOT IN ('applying', 'done') OR started_at IS NOT NULL),
  CHECK (status NOT IN ('done', 'failed', 'superseded') OR finished_at IS NOT NULL)
);
CREATE INDEX plans_by_status ON plans (status, created_at);
CREATE INDEX plans_by_hr_file ON plans (hr_file_id);
-- Only one plan is applied at a time.
CREATE UNIQUE INDEX plans_one_applying ON plans (status) WHERE status = 'applying';

CREATE TABLE operations (
  -- One row per change a plan makes to Feishu, applied in seq order: the journal. state moves
  -- pending -> in_flight (committed before the request is sent) -> done | failed | skipped, so a
  -- crash leaves every operation in a known state and an apply can resume. payload is the request
  -- body; precondition is what the target looked like when planned (an operation whose target
  -- changed since is skipped and planned again); reason says why the operation exists. The
  -- response's HTTP status, Feishu code, message and log id are kept for the last attempt.
  id              INTEGER PRIMARY KEY,
  plan_id         INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
  seq             INTEGER NOT NULL CHECK (seq >= 1),
  kind            TEXT NOT NULL CHECK (kind IN ('create', 'update', 'delete', 'resurrect', 'freeze', 'set_leader')),
  employee_no     TEXT,               -- the HR person it is for (NULL for a user no HR row claims)
  open_id         TEXT,               -- the Feishu user (for a create: filled in once created)
  client_token    TEXT,               -- the idempotency key of a create, the same on every retry
  reason          TEXT,               -- why: "new in HR", "left HR", "email changed", ...
  payload         TEXT NOT NULL CHECK (json_valid(payload)),
  precondition    TEXT CHECK (precondition IS NULL OR json_valid(precondition)),
  state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'in_flight', 'done', 'failed', 'skipped')),
  attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  http_status     INTEGER,
  code            INTEGER,            -- Feishu's business code (0 = success)
  msg             TEXT,
  log_id          TEXT,               -- quote it to Feishu support
  started_at      INTEGER,
  finished_at     INTEGER,
  UNIQUE (plan_id, seq),
  CHECK (kind IS NOT 'create' OR client_token IS NOT NULL),
  -- A create learns its open_id when it lands; a set_leader may target a user created in the same plan.
  CHECK (kind NOT IN ('update', 'delete', 'resurrect', 'freeze') OR open_id IS NOT NULL),
  CHECK (state IS NOT 'in_flight' OR started_at IS NOT NULL),
  CHECK (state NOT IN ('done', 'failed', 'skipped') OR finished_at IS NOT NULL),
  CHECK (state IS NOT 'done' OR open_id IS NOT NULL)
);
CREATE INDEX operations_by_state ON operations (state, kind, finished_at);
CREATE INDEX operations_by_open_id ON operations (open_id);
CREATE INDEX operations_by_employee_no ON operations (employee_no);
CREATE INDEX operations_by_client_token ON operations (client_token) WHERE client_token IS NOT NULL;

CREATE TABLE plan_decisions (
  -- One row per thing a plan decided about a person (an HR employee number) or a Feishu user no HR
  -- row claims, with the rule that decided it: what `dirsync explain` shows. Every operation has
  -- one (decision = its kind); so has everyone the plan deliberately left alone: 'conflict' (two
  -- sides claim one user, or an email or mobile is held by another user: both sides are listed),
  -- 'held' (the HR row has errors), 'future_hire' (waits for the join date), 'protected' (a tenant
  -- manager or safety.protected_users: never deleted or frozen), 'drift' (a Feishu-side edit,
  -- reported under sync.drift: report), 'unclaimed' (in scope, no HR row claims them: reported,
  -- not deleted), 'out_of_scope', 'unknown_department', 'unresolved_leader', 'left_alone'.
  -- A person whose HR row and Feishu user agree gets no row.
  plan_id      INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
  seq          INTEGER NOT NULL CHECK (seq >= 1),   -- order within the plan
  employee_no  TEXT,                                -- NULL for a user no HR row claims (and has none)
  open_id      TEXT,                                -- NULL when there is no Feishu user (yet)
  decision     TEXT NOT NULL CHECK (decision IN ('create', 'update', 'delete', 'resurrect', 'freeze',
                 'set_leader', 'conflict', 'held', 'future_hire', 'protected', 'drift', 'unclaimed',
                 'out_of_scope', 'unknown_department', 'unresolved_leader', 'left_alone')),
  rule         TEXT NOT NULL,                       -- e.g. 'leaver.absent_from_full_export', 'drift.report'
  detail       TEXT NOT NULL,                       -- for people: both sides, old and new values, dates
  PRIMARY KEY (plan_id, seq),
  CHECK (employee_no IS NOT NULL OR open_id IS NOT NULL)
) WITHOUT ROWID;
CREATE INDEX plan_decisions_by_employee_no ON plan_decisions (employee_no, plan_id);
CREATE INDEX plan_decisions_by_open_id ON plan_decisions (open_id, plan_id);

-- ------------------------------------------------------------------------------------------------
-- Views for people. Times are shown as UTC text; see the conventions at the top.
-- ------------------------------------------------------------------------------------------------

CREATE VIEW v_department_paths AS
  -- One row per mirrored department with its full path of names from the top ('总部/技术部/后端组';
  -- the root's path is ''), its depth (root 0, top-level 1) and its unit (its own, or the nearest
  -- ancestor's). A building block of the other views. A department whose parent the app cannot
  -- see starts its own path.
  WITH RECURSIVE tree (open_department_id, path, depth, unit_id) AS (
    SELECT d.open_department_id,
           CASE WHEN d.parent_open_department_id IS NULL THEN '' ELSE d.name END,
           CASE WHEN d.parent_open_department_id IS NULL THEN 0 ELSE 1 END,
           ud.unit_id
      FROM departments d
      LEFT JOIN unit_departments ud ON ud.open_department_id = d.open_department_id
     WHERE d.parent_open_department_id IS NULL
        OR d.parent_open_department_id NOT IN (SELECT open_department_id FROM departments)
    UNION ALL
    SELECT c.open_department_id,
           CASE WHEN t.path = '' THEN c.name ELSE t.path || '/' || c.name END,
           t.depth + 1,
           coalesce(ud.unit_id, t.unit_id)
      FROM tree t
      JOIN departments c ON c.parent_open_department_id = t.open_department_id
      LEFT JOIN unit_departments ud ON ud.open_department_id = c.open_department_id
  )
  SELECT open_department_id, path, depth, unit_id FROM tree;

CREATE VIEW v_departments AS
  -- One row per mirrored department, for people: its path, parent, leader, unit, Feishu's member
  -- counts, and how many active users the mirror has directly in it.
  SELECT d.open_department_id,
         d.department_id,
         d.name,
         p.path,
         p.depth,
         d.parent_open_department_id,
         nullif(parent.name, '') AS parent_name,  -- NULL under the root, whose name Feishu does not list
         d.leader_open_id,
         leader.name AS leader_name,
         unit.name AS unit,
         d.member_count,
         d.primary_member_count,
         (SELECT count(*) FROM user_departments ud JOIN users u ON u.open_id = ud.open_id
           WHERE ud.open_department_id = d.open_department_id AND u.mirror_state = 'active') AS direct_members,
         d.mirror_state,
         d.sort_order,
         datetime(d.first_seen, 'unixepoch') AS first_seen,
         datetime(d.last_seen, 'unixepoch') AS last_seen
    FROM departments d
    LEFT JOIN v_department_paths p ON p.open_department_id = d.open_department_id
    LEFT JOIN departments parent ON parent.open_department_id = d.parent_open_department_id
    LEFT JOIN users leader ON leader.open_id = d.leader_open_id
    LEFT JOIN units unit ON unit.unit_id = p.unit_id;

CREATE VIEW v_users AS
  -- One row per mirrored user, for people: who they are, their primary department's path, leader,
  -- job title, unit, Feishu status and mirror state, and the HR employee number they are linked to.
  -- account is Feishu's status in one word: resigned, frozen, exited, invited, active or inactive.
  SELECT u.open_id,
         u.employee_no,
         link.employee_no AS linked_employee_no,
         u.name,
         u.en_name,
         u.email,
         u.mobile,
         pd.open_department_id AS department_open_id,
         coalesce(p.path, pd.open_department_id) AS department,
         (SELECT count(*) FROM user_departments ud WHERE ud.open_id = u.open_id) AS department_count,
         u.leader_open_id,
         leader.name AS leader_name,
         leader.employee_no AS leader_employee_no,
         u.job_title,
         u.employee_type,
         unit.name AS unit,
         date(u.join_time, 'unixepoch') AS join_date,
         u.city,
         u.work_station,
         CASE WHEN u.is_resigned THEN 'resigned'
              WHEN u.is_frozen THEN 'frozen'
              WHEN u.is_exited THEN 'exited'
              WHEN u.is_unjoin THEN 'invited'
              WHEN u.is_activated THEN 'active'
              ELSE 'inactive' END AS account,
         u.mirror_state,
         u.is_tenant_manager,
         datetime(u.resigned_seen_at, 'unixepoch') AS resigned_seen_at,
         datetime(u.first_seen, 'unixepoch') AS first_seen,
         datetime(u.last_seen, 'unixepoch') AS last_seen
    FROM users u
    LEFT JOIN user_departments pd
           ON pd.open_id = u.open_id
          AND pd.open_department_id = (SELECT ud.open_department_id FROM user_departments ud
                                        WHERE ud.open_id = u.open_id
                                        ORDER BY ud.is_primary DESC, ud.department_order DESC,
                                                 ud.open_department_id
                                        LIMIT 1)
    LEFT JOIN v_department_paths p ON p.open_department_id = pd.open_department_id
    LEFT JOIN units unit ON unit.unit_id = p.unit_id
    LEFT JOIN users leader ON leader.open_id = u.leader_open_id
    LEFT JOIN links link ON link.open_id = u.open_id AND link.unlinked_at IS NULL;

CREATE VIEW v_user_history AS
  -- One row per version of a user, oldest first per user: what they looked like from valid_from
  -- to valid_to (NULL: now), with the leader's current name. "Who was in this department on
  -- that day" is a WHERE on primary_department_path, valid_from and valid_to.
  SELECT h.open_id,
         h.employee_no,
         h.name,
         h.email,
         h.mobile,
         h.primary_department_path,
         h.departments,
         h.leader_open_id,
         leader.name AS leader_name,
         h.job_title,
         h.employee_type,
         h.city,
         h.work_station,
         h.is_frozen,
         h.is_resigned,
         h.mirror_state,
         datetime(h.valid_from, 'unixepoch') AS valid_from,
         datetime(h.valid_to, 'unixepoch') AS valid_to,
         h.refresh_run_id
    FROM user_history h
    LEFT JOIN users leader ON leader.open_id = h.leader_open_id
   ORDER BY h.open_id, h.valid_from, h.id;

CREATE VIEW v_recent_changes AS
  -- What changed in the last 30 days, newest first, from two sources: 'dirsync' rows are
  -- operations dirsync applied (change is the operation kind, detail its reason); 'feishu' rows
  -- are changes the mirror saw in the tenant (change is appeared, resigned, out_of_scope,
  -- returned or changed; detail lists the fields that changed). A change dirsync made shows up
  -- twice: once when it was applied and once when the next refresh saw it.
  WITH versions AS (
    SELECT h.*,
           (SELECT max(p.id) FROM user_history p WHERE p.open_id = h.open_id AND p.id < h.id) AS prev_id
      FROM user_history h
     WHERE h.valid_from >= CAST(strftime('%s', 'now', '-30 days') AS INTEGER)
  )
  SELECT at, source, change, employee_no, open_id, name, detail, plan_id FROM (
    SELECT o.finished_at AS at_seconds,
           datetime(o.finished_at, 'unixepoch') AS at,
           'dirsync' AS source,
           o.kind AS change,
           o.employee_no,
           o.open_id,
           u.name,
           o.reason AS detail,
           o.plan_id
      FROM operations o
      LEFT JOIN users u ON u.open_id = o.open_id
     WHERE o.state = 'done'
       AND o.finished_at >= CAST(strftime('%s', 'now', '-30 days') AS INTEGER)
    UNION ALL
    SELECT v.valid_from,
           datetime(v.valid_from, 'unixepoch'),
           'feishu',
           CASE WHEN p.id IS NULL THEN 'appeared'
                WHEN v.mirror_state IS NOT p.mirror_state AND v.mirror_state = 'active' THEN 'returned'
                WHEN v.mirror_state IS NOT p.mirror_state THEN v.mirror_state
                ELSE 'changed' END,
           v.employee_no,
           v.open_id,
           v.name,
           CASE WHEN p.id IS NULL THEN NULL ELSE rtrim(
                     CASE WHEN p.employee_no IS NOT v.employee_no THEN 'employee_no, ' ELSE '' END
                  || CASE WHEN p.name IS NOT v.name THEN 'name, ' ELSE '' END
                  || CASE WHEN p.en_name IS NOT v.en_name THEN 'en_name, ' ELSE '' END
                  || CASE WHEN p.email IS NOT v.email THEN 'email, ' ELSE '' END
                  || CASE WHEN p.mobile IS NOT v.mobile THEN 'mobile, ' ELSE '' END
                  || CASE WHEN p.departments IS NOT v.departments
                            OR p.primary_department_path IS NOT v.primary_department_path
                          THEN 'department, ' ELSE '' END
                  || CASE WHEN p.leader_open_id IS NOT v.leader_open_id THEN 'leader, ' ELSE '' END
                  || CASE WHEN p.job_title IS NOT v.job_title THEN 'job_title, ' ELSE '' END
                  || CASE WHEN p.employee_type IS NOT v.employee_type THEN 'employee_type, ' ELSE '' END
                  || CASE WHEN p.city IS NOT v.city THEN 'city, ' ELSE '' END
                  || CASE WHEN p.work_station IS NOT v.work_station THEN 'work_station, ' ELSE '' END
                  || CASE WHEN p.is_frozen IS NOT v.is_frozen THEN 'frozen, ' ELSE '' END
                  || CASE WHEN p.is_resigned IS NOT v.is_resigned THEN 'resigned, ' ELSE '' END
                  || CASE WHEN p.mirror_state IS NOT v.mirror_state THEN 'mirror_state, ' ELSE '' END
                     , ', ') END,
           NULL
      FROM versions v
      LEFT JOIN user_history p ON p.id = v.prev_id
  )
  ORDER BY at_seconds DESC;

CREATE VIEW v_plans AS
  -- One row per plan, newest first, with its HR file and the operations' progress.
  SELECT p.id,
         p.status,
         datetime(p.created_at, 'unixepoch') AS created_at,
         f.name AS hr_file,
         p.hr_file_id,
         p.refresh_run_id,
         p.creates, p.updates, p.deletes, p.resurrects, p.freezes, p.set_leaders,
         p.managed_users,
         p.held_reasons,
         p.approved_by,
         datetime(p.approved_at, 'unixepoch') AS approved_at,
         datetime(p.started_at, 'unixepoch') AS started_at,
         datetime(p.finished_at, 'unixepoch') AS finished_at,
         (SELECT count(*) FROM operations o WHERE o.plan_id = p.id AND o.state = 'done') AS ops_done,
         (SELECT count(*) FROM operations o WHERE o.plan_id = p.id AND o.state = 'failed') AS ops_failed,
         (SELECT count(*) FROM operations o WHERE o.plan_id = p.id AND o.state = 'skipped') AS ops_skipped,
         (SELECT count(*) FROM operations o WHERE o.plan_id = p.id AND o.state IN ('pending', 'in_flight')) AS ops_left,
         p.error
    FROM plans p
    JOIN hr_files f ON f.id = p.hr_file_id
   ORDER BY p.id DESC;

CREATE VIEW v_held_plans AS
  -- One row per plan held by a safety rule and waiting for `dirsync approve ID`: why it was held
  -- and what it would do.
  SELECT p.id,
         datetime(p.created_at, 'unixepoch') AS created_at,
         p.held_reasons,
         f.name AS hr_file,
         p.creates, p.updates, p.deletes, p.resurrects, p.freezes, p.set_leaders,
         p.managed_users,
         'dirsync approve ' || p.id AS to_release
    FROM plans p
    JOIN hr_files f ON f.id = p.hr_file_id
   WHERE p.status = 'held'
   ORDER BY p.id;

CREATE VIEW v_operations AS
  -- One row per operation of every plan, for people: whom it is for, what it did and how it went.
  SELECT o.plan_id,
         o.seq,
         o.kind,
         o.state,
         o.employee_no,
         o.open_id,
         coalesce(u.name, json_extract(o.payload, '$.name')) AS name,
         o.reason,
         o.attempts,
         o.http_status,
         o.code,
         o.msg,
         o.log_id,
         datetime(o.started_at, 'unixepoch') AS started_at,
         datetime(o.finished_at, 'unixepoch') AS finished_at,
         o.payload,
         o.id
    FROM operations o
    LEFT JOIN users u ON u.open_id = o.open_id
   ORDER BY o.plan_id DESC, o.seq;

CREATE VIEW v_plan_decisions AS
  -- One row per decision of every plan, newest plan first: whom it is about, what was decided and
  -- by which rule. The latest plan's: WHERE plan_id = (SELECT max(id) FROM plans). Conflicts,
  -- protected users, held rows and drift the plan reported are here, with both sides in detail.
  SELECT d.plan_id,
         p.status AS plan_status,
         datetime(p.created_at, 'unixepoch') AS planned_at,
         d.seq,
         d.decision,
         d.employee_no,
         d.open_id,
         u.name,
         d.rule,
         d.detail
    FROM plan_decisions d
    JOIN plans p ON p.id = d.plan_id
    LEFT JOIN users u ON u.open_id = d.open_id
   ORDER BY d.plan_id DESC, d.seq;

CREATE VIEW v_failed_operations AS
  -- One row per operation that failed, newest first: Feishu's code, message and log id say why
  -- (quote the log id to Feishu support). Failed operations are planned again by the next cycle.
  SELECT o.plan_id,
         o.seq,
         o.kind,
         o.employee_no,
         o.open_id,
         coalesce(u.name, json_extract(o.payload, '$.name')) AS name,
         o.reason,
         o.http_status,
         o.code,
         o.msg,
         o.log_id,
         o.attempts,
         datetime(o.finished_at, 'unixepoch') AS failed_at
    FROM operations o
    LEFT JOIN users u ON u.open_id = o.open_id
   WHERE o.state = 'failed'
   ORDER BY o.finished_at DESC, o.id DESC;

CREATE VIEW v_drift AS
  -- One row per active Feishu user that no valid row of the newest accepted full HR export
  -- claims, either through their current link or through their employee number. Empty until a
  -- full export has been accepted. This view does not know the configured sync scope: users
  -- outside it appear here too, and the plan's own report is what dirsync acts on. Tenant
  -- managers are marked; dirsync never deletes them.
  WITH latest_full AS (
    SELECT id FROM hr_files
     WHERE status = 'accepted' AND mode = 'full'
     ORDER BY received_at DESC, id DESC LIMIT 1
  ),
  roster AS (
    SELECT r.employee_no FROM hr_rows r JOIN latest_full f ON f.id = r.hr_file_id WHERE r.is_valid = 1
  )
  SELECT u.open_id,
         u.name,
         u.employee_no,
         u.linked_employee_no,
         u.email,
         u.mobile,
         u.department,
         u.account,
         u.is_tenant_manager,
         CASE WHEN coalesce(u.linked_employee_no, u.employee_no) IS NULL THEN 'no employee number and no link'
              WHEN u.linked_employee_no IS NULL THEN 'employee number not in the HR export'
              ELSE 'linked employee not in the HR export' END AS reason,
         u.first_seen
    FROM v_users u
   WHERE u.mirror_state = 'active'
     AND EXISTS (SELECT 1 FROM latest_full)
     AND (coalesce(u.linked_employee_no, u.employee_no) IS NULL
          OR coalesce(u.linked_employee_no, u.employee_no) NOT IN (SELECT employee_no FROM roster));

CREATE VIEW v_rejected_rows AS
  -- One row per HR row that was not acted on because of its problems, newest file first, with
  -- the file it came from. Whole files that were rejected are in v_hr_files (status 'rejected').
  SELECT f.name AS hr_file,
         datetime(f.received_at, 'unixepoch') AS received_at,
         f.status AS file_status,
         r.row_number,
         r.employee_no,
         r.name,
         r.problems,
         r.hr_file_id
    FROM hr_rows r
    JOIN hr_files f ON f.id = r.hr_file_id
   WHERE r.is_valid = 0
   ORDER BY f.received_at DESC, f.id DESC, r.row_number;

CREATE VIEW v_hr_files AS
  -- One row per HR file received, newest first: accepted or rejected, why, and its row counts.
  SELECT f.id,
         f.name,
         f.status,
         f.reason,
         f.mode,
         f.format,
         f.encoding,
         f.rows_total,
         f.rows_valid,
         f.rows_invalid,
         datetime(f.received_at, 'unixepoch') AS received_at,
         f.moved_to,
         f.sha256
    FROM hr_files f
   ORDER BY f.received_at DESC, f.id DESC;

CREATE VIEW v_links AS
  -- One row per link between an employee number and a Feishu user, current ones (unlinked_at
  -- NULL) and past ones, with the user's name.
  SELECT l.employee_no,
         l.open_id,
         u.name,
         l.method,
         datetime(l.linked_at, 'unixepoch') AS linked_at,
         datetime(l.unlinked_at, 'unixepoch') AS unlinked_at,
         l.unlink_reason,
         l.plan_id
    FROM links l
    LEFT JOIN users u ON u.open_id = l.open_id
   ORDER BY l.employee_no, l.linked_at;

CREATE VIEW v_refresh_runs AS
  -- One row per refresh of the mirror, newest first: how it ended, what it saw, what it cost.
  SELECT r.id,
         coalesce(r.result, 'running or interrupted') AS result,
         r.trust_reason,
         r.error,
         datetime(r.started_at, 'unixepoch') AS started_at,
         datetime(r.finished_at, 'unixepoch') AS finished_at,
         r.finished_at - r.started_at AS seconds,
         r.departments_seen,
         r.users_seen,
         r.users_added,
         r.users_changed,
         r.users_resigned,
         r.users_out_of_scope,
         r.job_titles_seen,
         r.units_seen,
         r.api_requests,
         r.rate_limit_waits,
         r.base_url,
         r.app_id
    FROM refresh_runs r
   ORDER BY r.id DESC;
