// Browser journey of the webhooks page: a supervisor adds a generic hook pointing at a receiver
// this file starts on 127.0.0.1, a ticket opened through the API reaches it (refused once with a
// 500, so the log shows a try to come), "send test" is delivered at once, and the delivery log
// lists both. The receiver checks each signature as the page's help documents it. Screenshots:
// screenshots/35-webhooks-settings.png, screenshots/36-webhook-log.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { chromium } from 'playwright-core';

const BASE = process.env.BASE_URL;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const KEY = 'e2e-webhook-key-0123456789';
let browser;
let receiver;
const received = [];
const consoleErrors = [];

before(async () => {
  assert.ok(BASE, 'BASE_URL is set by run.sh');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  // Answers 500 to the first ticket event, 200 to everything else.
  let refusedOnce = false;
  receiver = createServer((request, response) => {
    const chunks = [];
    request.on('data', (c) => chunks.push(c));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ headers: request.headers, body });
      const event = JSON.parse(body.toString('utf8')).event;
      if (event === 'ticket_opened' && !refusedOnce) {
        refusedOnce = true;
        response.writeHead(500).end('busy');
      } else {
        response.writeHead(200).end('ok');
      }
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => receiver.close(resolve));
  assert.deepEqual(consoleErrors, [], 'no console errors');
});

async function api(method, path, token, body) {
  const response = await fetch(BASE + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

function signatureOf(request) {
  const timestamp = request.headers['x-aftersales-timestamp'];
  const mac = createHmac('sha256', KEY).update(`${timestamp}.`).update(request.body).digest('hex');
  return `sha256=${mac}`;
}

async function until(check, what) {
  for (let i = 0; i < 100; i += 1) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('a supervisor adds a webhook, sends a test, and reads the delivery log', async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  // The refused form answers 422 on purpose: the browser logs it; any other error fails.
  const refusals = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (/status of 422/.test(m.text())) refusals.push(m.text());
    else consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(BASE + '/login');
  await page.fill('#login', 'e2e-super');
  await page.fill('#password', 'e2e-super-pass');
  await Promise.all([page.waitForURL((url) => url.pathname !== '/login'), page.click('button[type=submit]')]);

  await page.goto(BASE + '/settings/webhooks');
  const url = `http://127.0.0.1:${receiver.address().port}/desk-events`;
  await page.fill('#new-name', 'ERP 售后事件');
  await page.selectOption('#new-format', 'generic');
  // First without a key: refused next to the field, the rest kept.
  await page.fill('#new-url', url);
  await page.check('#new-events input[value="ticket_opened"]');
  await Promise.all([page.waitForLoadState('load'), page.click('#webhook-add button[type=submit]')]);
  await page.waitForSelector('#new-secret-error');
  assert.equal(await page.inputValue('#new-url'), url);
  assert.equal(refusals.length, 1, 'the one refusal was the 422 of the form');
  await page.fill('#new-secret', KEY);
  await Promise.all([page.waitForURL(/done=saved/), page.click('#webhook-add button[type=submit]')]);
  const card = page.locator('.webhook').first();
  await card.waitFor();

  // A ticket opened through the API: the first try is refused, the log shows it pending.
  const login = await api('POST', '/api/v1/auth/tokens', null, { login: 'e2e-agent', password: 'e2e-agent-pass' });
  const tok = login.body.token;
  const shops = await api('GET', '/api/v1/shops', tok);
  const shop = shops.body.find((s) => s.code === 'demo').id;
  const signed = new Date(Date.now() - 2 * 86400000).toISOString();
  const placed = await api('PUT', `/api/v1/shops/${shop}/orders/E2E-HOOK-1`, tok, {
    buyer: 'e2e_买家', paid_at: signed, shipped_at: signed, signed_at: signed,
    lines: [{ sku: 'E2E-SKU', title: '测试商品', category: '服装', quantity: 1, unit_price_fen: 3990 }],
  });
  assert.ok(placed.status === 200 || placed.status === 201, JSON.stringify(placed.body));
  const created = await api('POST', `/api/v1/shops/${shop}/tickets`, tok, {
    kind: 'refund', order_no: 'E2E-HOOK-1', reason: 'quality', description: '收到破损', refund_fen: 3990,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await until(() => received.length >= 1, 'the ticket event');

  // Send test: delivered at once, said on the page.
  await Promise.all([page.waitForLoadState('load'), card.locator('button[formaction$="/test"]').click()]);
  await page.waitForSelector('.flash-ok');
  assert.match(await page.textContent('.flash-ok'), /测试消息已送达/);
  assert.ok(received.some((r) => JSON.parse(r.body.toString('utf8')).event === 'test'));
  for (const request of received) {
    assert.equal(request.headers['x-aftersales-signature'], signatureOf(request), 'the documented signature');
  }
  assert.ok(!(await page.content()).includes(KEY), 'the secret is never shown');
  await page.screenshot({ path: 'screenshots/35-webhooks-settings.png', fullPage: true });

  await Promise.all([page.waitForURL(/\/log/), card.locator('a[href*="/log"]').click()]);
  const rows = await page.locator('.webhook-log tbody tr').count();
  assert.ok(rows >= 2, `the log lists the test and the ticket event (${rows})`);
  assert.match(await page.textContent('.webhook-log'), /HTTP 500|busy/);
  await page.screenshot({ path: 'screenshots/36-webhook-log.png', fullPage: true });
  await context.close();
});
