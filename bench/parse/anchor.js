// Client side of the Parse anchor: schema, seed data, missed-dose scan timing.
// Talks only to the Parse Server on 127.0.0.1 through its REST API.
//
//   node anchor.js schema
//   node anchor.js seed N OUTFILE          sign up N users, a PatientProfile and 3 reminders each
//   node anchor.js topup TOTAL OUTFILE     (master key) more reminders until TOTAL, spread over the
//                                          same patients, plus ConfirmationLog history
//   node anchor.js scan HOURS REPEAT [createAlerts]
//   node anchor.js check OUTFILE           sanity: one user's GET returns its reminders only
'use strict';
const fs = require('node:fs');

const BASE = process.env.PARSE_URL || 'http://127.0.0.1:1337/parse';
const APP_ID = process.env.PARSE_APP_ID || 'adhere-anchor';
const MASTER = process.env.PARSE_MASTER_KEY || 'anchor-master-key';

async function call(method, path, body, { token, master } = {}) {
  const headers = { 'X-Parse-Application-Id': APP_ID, 'Content-Type': 'application/json' };
  if (token) headers['X-Parse-Session-Token'] = token;
  if (master) headers['X-Parse-Master-Key'] = MASTER;
  const res = await fetch(BASE + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = { raw: text }; }
  if (!res.ok) {
    const err = new Error(`${method} ${path} -> ${res.status} ${text.slice(0, 300)}`);
    err.status = res.status;
    err.body = json;
    throw err;
  }
  return json;
}

async function pool(n, items, fn) {
  let i = 0;
  const workers = Array.from({ length: n }, async () => {
    while (i < items.length) {
      const k = i++;
      await fn(items[k], k);
    }
  });
  await Promise.all(workers);
}

const ptr = (className, objectId) => ({ __type: 'Pointer', className, objectId });
const date = (d) => ({ __type: 'Date', iso: new Date(d).toISOString() });
const authOnly = { requiresAuthentication: true };
const nobody = {};

// The brief's schema (its "Schema (JSON)"), with the CLPs a careful Back4app
// developer sets: signed-in users only, no client schema changes, logs append-only,
// alerts written by the server only. Rows are owner-only through ACLs.
const CLASSES = [
  {
    className: 'PatientProfile',
    fields: {
      user: { type: 'Pointer', targetClass: '_User', required: true },
      displayName: { type: 'String', required: true },
      dateOfBirth: { type: 'Date' },
      phoneNumber: { type: 'String', required: true },
      isActive: { type: 'Boolean', required: true },
    },
    classLevelPermissions: { find: authOnly, count: authOnly, get: authOnly, create: authOnly, update: authOnly, delete: authOnly, addField: nobody, protectedFields: { '*': [] } },
    indexes: { user_1: { user: 1 } },
  },
  {
    className: 'MedicationReminder',
    fields: {
      patient: { type: 'Pointer', targetClass: 'PatientProfile', required: true },
      medicationName: { type: 'String', required: true },
      dosage: { type: 'String', required: true },
      schedule: { type: 'Array', required: true },
      isConfirmed: { type: 'Boolean', required: true },
    },
    classLevelPermissions: { find: authOnly, count: authOnly, get: authOnly, create: authOnly, update: authOnly, delete: authOnly, addField: nobody, protectedFields: { '*': [] } },
    indexes: { patient_1: { patient: 1 } },
  },
  {
    className: 'ConfirmationLog',
    fields: {
      reminder: { type: 'Pointer', targetClass: 'MedicationReminder', required: true },
      confirmedAt: { type: 'Date', required: true },
    },
    classLevelPermissions: { find: authOnly, count: authOnly, get: authOnly, create: authOnly, update: nobody, delete: nobody, addField: nobody, protectedFields: { '*': [] } },
    indexes: { reminder_1: { reminder: 1 }, confirmedAt_1: { confirmedAt: 1 } },
  },
  {
    className: 'MissedDoseAlert',
    fields: {
      reminder: { type: 'Pointer', targetClass: 'MedicationReminder', required: true },
      alertedAt: { type: 'Date', required: true },
    },
    classLevelPermissions: { find: authOnly, count: authOnly, get: authOnly, create: nobody, update: nobody, delete: nobody, addField: nobody, protectedFields: { '*': [] } },
    indexes: { reminder_1: { reminder: 1 } },
  },
];

async function schema() {
  const noIndexes = process.env.NO_INDEXES === '1';
  for (const c of CLASSES) {
    const body = { ...c };
    if (noIndexes) delete body.indexes;
    try {
      await call('POST', `/schemas/${c.className}`, body, { master: true });
      console.log(`schema: created ${c.className}${noIndexes ? ' (no indexes)' : ''}`);
    } catch (e) {
      if (e.body && e.body.code === 103) console.log(`schema: ${c.className} exists`);
      else throw e;
    }
  }
}

const MEDS = [
  ['Metformin', '500 mg', ['08:00', '20:00']],
  ['Lisinopril', '10 mg', ['08:00']],
  ['Atorvastatin', '20 mg', ['21:00']],
  ['Levothyroxine', '50 mcg', ['07:00']],
  ['Amlodipine', '5 mg', ['09:00']],
];

async function seed(n, outFile) {
  const t0 = Date.now();
  const rows = new Array(n);
  let done = 0;
  await pool(8, [...Array(n).keys()], async (i) => {
    const username = `patient${i}@anchor.test`;
    let user;
    try {
      user = await call('POST', '/users', { username, password: `pw-${i}-anchor`, email: username });
    } catch (e) {
      if (e.body && e.body.code === 202) {
        user = await call('POST', '/login', { username, password: `pw-${i}-anchor` });
      } else throw e;
    }
    const token = user.sessionToken;
    const uid = user.objectId;
    const acl = { [uid]: { read: true, write: true } };
    const prof = await call('POST', '/classes/PatientProfile', {
      user: ptr('_User', uid),
      displayName: `Patient ${i}`,
      dateOfBirth: date(Date.UTC(1940 + (i % 60), i % 12, 1 + (i % 28))),
      phoneNumber: `+1555${String(i).padStart(7, '0')}`,
      isActive: true,
      ACL: acl,
    }, { token });
    // the SDK's saveAll: one /batch of 3 creates with the user's session
    const reqs = [0, 1, 2].map((k) => {
      const [name, dose, sched] = MEDS[(i + k) % MEDS.length];
      return {
        method: 'POST',
        path: '/parse/classes/MedicationReminder',
        body: { patient: ptr('PatientProfile', prof.objectId), medicationName: name, dosage: dose, schedule: sched, isConfirmed: false, ACL: acl },
      };
    });
    const res = await call('POST', '/batch', { requests: reqs }, { token });
    const rems = res.map((r) => {
      if (!r.success) throw new Error(`batch failed: ${JSON.stringify(r)}`);
      return r.success.objectId;
    });
    rows[i] = [token, uid, prof.objectId, rems.join(',')].join('\t');
    done++;
    if (done % 200 === 0) console.log(`seed: ${done}/${n} patients (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  });
  fs.writeFileSync(outFile, rows.join('\n') + '\n');
  const s = (Date.now() - t0) / 1000;
  console.log(`seed: ${n} users + ${n} profiles + ${3 * n} reminders in ${s.toFixed(1)} s (${(n / s).toFixed(1)} patients/s, sign-up incl. bcrypt)`);
}

async function masterBatchCreate(className, bodies, label) {
  const chunks = [];
  for (let i = 0; i < bodies.length; i += 50) chunks.push(bodies.slice(i, i + 50));
  const t0 = Date.now();
  await pool(4, chunks, async (chunk) => {
    const res = await call('POST', '/batch', {
      requests: chunk.map((b) => ({ method: 'POST', path: `/parse/classes/${className}`, body: b })),
    }, { master: true });
    for (const r of res) if (!r.success) throw new Error(`batch failed: ${JSON.stringify(r)}`);
  });
  console.log(`topup: ${bodies.length} ${label} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

// Grow the data to TOTAL reminders and give it a ConfirmationLog history, so the scan
// runs over a realistic table: every reminder has OLD (default 2) logs 30-72 h old, and
// 9 in 10 reminders have one log inside the last 20 h; the rest are the "missed" ones.
async function topup(total, usersFile) {
  const users = fs.readFileSync(usersFile, 'utf8').trim().split('\n').map((l) => {
    const [token, uid, pid, rems] = l.split('\t');
    return { token, uid, pid, rems: rems.split(',') };
  });
  const existing = users.reduce((a, u) => a + u.rems.length, 0);
  const extra = Math.max(0, total - existing);
  const bodies = [];
  for (let k = 0; k < extra; k++) {
    const u = users[k % users.length];
    const [name, dose, sched] = MEDS[k % MEDS.length];
    bodies.push({ patient: ptr('PatientProfile', u.pid), medicationName: name, dosage: dose, schedule: sched, isConfirmed: false, ACL: { [u.uid]: { read: true, write: true } } });
  }
  if (bodies.length) await masterBatchCreate('MedicationReminder', bodies, 'reminders');
  // all reminder ids (the new ones read back with the master key)
  const all = [];
  let last = '';
  for (;;) {
    const where = last ? { objectId: { $gt: last } } : {};
    const r = await call('GET', `/classes/MedicationReminder?keys=objectId,patient&order=objectId&limit=1000&where=${encodeURIComponent(JSON.stringify(where))}`, null, { master: true });
    if (!r.results.length) break;
    for (const o of r.results) all.push(o);
    last = r.results[r.results.length - 1].objectId;
  }
  const uidByPid = new Map(users.map((u) => [u.pid, u.uid]));
  const now = Date.now();
  const old = Number(process.env.OLD_LOGS_PER_REMINDER || 2);
  const logs = [];
  all.forEach((rem, idx) => {
    const uid = uidByPid.get(rem.patient.objectId);
    const acl = { [uid]: { read: true } };
    for (let j = 0; j < old; j++) {
      logs.push({ reminder: ptr('MedicationReminder', rem.objectId), confirmedAt: date(now - (30 + ((idx * 7 + j * 13) % 42)) * 3600e3), ACL: acl });
    }
    if (idx % 10 !== 0) {
      logs.push({ reminder: ptr('MedicationReminder', rem.objectId), confirmedAt: date(now - ((idx * 37) % 1200) * 60e3), ACL: acl });
    }
  });
  await masterBatchCreate('ConfirmationLog', logs, 'confirmation logs (history)');
  console.log(`topup: reminders now ${all.length}`);
}

async function scan(hours, repeat, createAlerts) {
  const out = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = process.hrtime.bigint();
    const r = await call('POST', '/functions/missedDoseScan', { hours, createAlerts }, { master: true });
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    out.push({ wallMs: wall, ...r.result });
    console.log(`scan ${i + 1}/${repeat}: wall ${wall.toFixed(0)} ms  ${JSON.stringify(r.result)}`);
  }
  const walls = out.map((o) => o.wallMs).sort((a, b) => a - b);
  const med = (k) => { const v = out.map((o) => o[k]).sort((a, b) => a - b); return v[Math.floor(v.length / 2)].toFixed(0); };
  console.log(`scan summary: hours=${hours} runs=${repeat} wall min ${walls[0].toFixed(0)} ms, median ${walls[Math.floor(walls.length / 2)].toFixed(0)} ms, max ${walls[walls.length - 1].toFixed(0)} ms (median in-function: log query ${med('msLogQuery')} ms, reminder query ${med('msReminderQuery')} ms, alerts ${med('msAlerts')} ms); logsInWindow=${out[0].logsInWindow} confirmed=${out[0].confirmedReminders} missed=${out[0].missedReminders}`);
}

async function check(usersFile) {
  const [token, uid, pid, rems] = fs.readFileSync(usersFile, 'utf8').split('\n')[0].split('\t');
  const where = encodeURIComponent(JSON.stringify({ patient: ptr('PatientProfile', pid) }));
  const mine = await call('GET', `/classes/MedicationReminder?where=${where}`, null, { token });
  const all = await call('GET', '/classes/MedicationReminder?limit=1000', null, { token });
  const anon = await call('GET', '/classes/MedicationReminder?limit=10', null, {}).catch((e) => ({ error: e.status }));
  const post = await call('POST', '/classes/ConfirmationLog', { reminder: ptr('MedicationReminder', rems.split(',')[0]), confirmedAt: date(Date.now()), ACL: { [uid]: { read: true } } }, { token });
  console.log(`check: user ${uid} sees ${mine.results.length} reminders by pointer, ${all.results.length} with no filter (ACL), anonymous -> ${JSON.stringify(anon.error || anon.results.length)}; POST ConfirmationLog -> ${post.objectId}`);
  if (mine.results.length !== 3 || all.results.length !== 3) throw new Error('ACL/pointer check failed');
}

(async () => {
  const [cmd, a, b, c] = process.argv.slice(2);
  if (cmd === 'schema') await schema();
  else if (cmd === 'seed') await seed(Number(a), b);
  else if (cmd === 'topup') await topup(Number(a), b);
  else if (cmd === 'scan') await scan(Number(a || 24), Number(b || 5), c === 'createAlerts');
  else if (cmd === 'check') await check(a);
  else throw new Error(`unknown command ${cmd}`);
})().catch((e) => {
  console.error(e.message || e);
  process.exit(1);
});
