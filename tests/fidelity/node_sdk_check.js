// Fidelity check: drives a running feishu-emulator through the official Feishu Node.js SDK
// (@larksuiteoapi/node-sdk) with its `domain` option, the way a real client would, and fails on
// any answer the SDK cannot use or any field a real client relies on that is missing.
//
//   node tests/fidelity/node_sdk_check.js http://127.0.0.1:PORT
//
// The emulator must run with examples/tenant.json. The SDK is looked up with require(); install it
// with `npm install @larksuiteoapi/node-sdk` in this folder (or set NODE_PATH). Exit codes: 0 all
// checks passed, 1 a check failed, 77 the SDK is not installed (the check is skipped).
'use strict';

let lark;
try {
  lark = require('@larksuiteoapi/node-sdk');
} catch (e) {
  console.log('skipped: @larksuiteoapi/node-sdk is not installed (npm install @larksuiteoapi/node-sdk)');
  process.exit(77);
}

const base = process.argv[2];
if (!base) {
  console.error('usage: node node_sdk_check.js http://127.0.0.1:PORT');
  process.exit(2);
}

const client = new lark.Client({
  appId: 'cli_demo',
  appSecret: 'demo-secret',
  appType: lark.AppType.SelfBuild,
  domain: base,
  // Quiet: the SDK logs every error answer, and this check provokes several on purpose.
  logger: { error() {}, warn() {}, info() {}, debug() {}, trace() {} },
});

let failures = 0;
function check(condition, what) {
  if (condition) {
    console.log('ok   ' + what);
  } else {
    failures += 1;
    console.log('FAIL ' + what);
  }
}

async function expectError(promise, httpStatus, code, what) {
  try {
    const res = await promise;
    check(res && res.code === code, `${what}: code ${code} (got ${res && res.code})`);
  } catch (e) {
    const status = e.response && e.response.status;
    const body = e.response && e.response.data;
    check(status === httpStatus && body && body.code === code,
      `${what}: HTTP ${httpStatus} code ${code} (got HTTP ${status} code ${body && body.code})`);
    check(body && body.error && body.error.log_id === e.response.headers['x-tt-logid'],
      `${what}: error.log_id matches the X-Tt-Logid header`);
  }
}

(async () => {
  const custom = { user_id_type: 'user_id', department_id_type: 'department_id' };

  // Users: get, with the token the SDK fetched and cached by itself.
  const got = await client.contact.v3.user.get({ path: { user_id: 'E0003' }, params: custom });
  check(got.code === 0 && got.data.user.name === '张伟', 'user.get returns the user');
  check(got.data.user.open_id.startsWith('ou_'), 'user.get: open_id starts with ou_');
  check(got.data.user.leader_user_id === 'E0004', 'user.get: leader_user_id follows user_id_type');

  // Paging through the SDK's own iterator: every member of 后端组 exactly once.
  const seen = [];
  for await (const page of await client.contact.v3.user.findByDepartmentWithIterator({
    params: Object.assign({ department_id: 'D03', page_size: 2 }, custom),
  })) {
    if (page === null) { check(false, 'findByDepartmentWithIterator: a page failed'); break; }
    for (const u of page.items || []) seen.push(u.user_id);
  }
  check(seen.join(',') === 'E0003,E0004,E0006', `findByDepartmentWithIterator pages through 后端组 (got ${seen})`);

  // Departments: recursive children through the iterator.
  const departments = [];
  for await (const page of await client.contact.v3.department.childrenWithIterator({
    path: { department_id: '0' },
    params: Object.assign({ fetch_child: true, page_size: 3 }, custom),
  })) {
    if (page === null) { check(false, 'childrenWithIterator: a page failed'); break; }
    for (const d of page.items || []) departments.push(d.department_id);
  }
  check(departments.length === 8, `department.childrenWithIterator lists all 8 departments (got ${departments.length})`);
  const dept = await client.contact.v3.department.get({ path: { department_id: 'D03' }, params: custom });
  check(dept.data.department.parent_department_id === 'D02' && dept.data.department.open_department_id.startsWith('od-'),
    'department.get: parent and open_department_id');

  // Create with a client_token, twice: one person.
  const body = { name: '新同事', en_name: 'New Colleague', mobile: '+8613900009999', email: 'new@example.com',
    department_ids: ['D04'], employee_type: 1, employee_no: 'E0100', user_id: 'E0100' };
  const created = await client.contact.v3.user.create({ data: body, params: Object.assign({ client_token: 'ct-1' }, custom) });
  const again = await client.contact.v3.user.create({ data: body, params: Object.assign({ client_token: 'ct-1' }, custom) });
  check(created.code === 0 && again.data.user.open_id === created.data.user.open_id, 'user.create replays a client_token');
  await expectError(client.contact.v3.user.create({ data: Object.assign({}, body, { name: '别人' }),
    params: Object.assign({ client_token: 'ct-1' }, custom) }), 400, 40021, 'user.create: client_token with other parameters');
  await expectError(client.contact.v3.user.create({ data: Object.assign({}, body, { user_id: 'E0101', email: 'x@example.com' }),
    params: custom }), 400, 41001, 'user.create: a taken mobile');

  // Patch, batch get id, batch.
  const patched = await client.contact.v3.user.patch({ path: { user_id: 'E0100' }, data: { job_title: '工程师' }, params: custom });
  check(patched.data.user.job_title === '工程师', 'user.patch changes the field');
  const ids = await client.contact.v3.user.batchGetId({ data: { emails: ['new@example.com', 'none@example.com'] }, params: custom });
  check(ids.data.user_list.length === 2 && ids.data.user_list[0].user_id === 'E0100' && !ids.data.user_list[1].user_id,
    'user.batchGetId: one entry per email, no user_id when absent');
  const batch = await client.contact.v3.user.batch({ params: Object.assign({ user_ids: ['E0001', 'E0002'] }, custom) });
  check(batch.data.items.length === 2, 'user.batch with repeated user_ids');

  // Delete, then resurrect.
  const deleted = await client.contact.v3.user.delete({ path: { user_id: 'E0100' }, params: custom,
    data: { docs_acceptor_user_id: 'E0007' } });
  check(deleted.code === 0, 'user.delete with an acceptor');
  const resigned = await client.contact.v3.user.get({ path: { user_id: 'E0100' }, params: custom });
  check(resigned.data.user.status.is_resigned === true, 'user.get shows is_resigned after delete');
  const back = await client.contact.v3.user.resurrect({ path: { user_id: 'E0100' }, params: custom,
    data: { departments: [{ department_id: 'D04' }] } });
  check(back.code === 0, 'user.resurrect within 30 days');
  await expectError(client.contact.v3.user.resurrect({ path: { user_id: 'E0100' }, params: custom, data: {} }),
    400, 44033, 'user.resurrect of an active user');
  await expectError(client.contact.v3.user.delete({ path: { user_id: 'E0001' }, params: custom }),
    400, 44037, 'user.delete of the tenant manager');
  await expectError(client.contact.v3.department.get({ path: { department_id: 'D99' }, params: custom }),
    400, 40015, 'department.get of a missing department');

  // Job titles and units with their odd list keys.
  const titles = await client.contact.v3.jobTitle.list({ params: { page_size: 50 } });
  check(titles.data.items.length === 6 && typeof titles.data.items[0].status === 'boolean', 'jobTitle.list: status is a bool');
  const units = await client.contact.v3.unit.list({ params: { page_size: 100 } });
  check(units.data.unitlist.length === 1 && units.data.unitlist[0].unit_id === 'U01', 'unit.list: data.unitlist');
  const unitDepartments = await client.contact.v3.unit.listDepartment({ params: { unit_id: 'U01', department_id_type: 'department_id' } });
  check(unitDepartments.data.departmentlist[0].department_id === 'D06', 'unit.listDepartment: data.departmentlist');

  console.log(failures === 0 ? 'all checks passed' : `${failures} check(s) failed`);
  process.exit(failures === 0 ? 0 : 1);
})().catch((e) => {
  console.log('FAIL unexpected error: ' + (e.response ? JSON.stringify(e.response.data) : e.stack));
  process.exit(1);
});
