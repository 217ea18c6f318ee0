// Browser journeys through the desk in Debian's Chromium (playwright-core, no bundled browser).
// Each journey saves a screenshot; any console error fails the run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const BASE = process.env.BASE_URL;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
let browser;
const consoleErrors = [];

before(async () => {
  assert.ok(BASE, 'BASE_URL is set by run.sh');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  assert.deepEqual(consoleErrors, [], 'no console errors in any journey');
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

async function token(login, password) {
  const answer = await api('POST', '/api/v1/auth/tokens', null, { login, password });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body.token;
}

async function demoShop(tok) {
  const shops = await api('GET', '/api/v1/shops', tok);
  const shop = shops.body.find((s) => s.code === 'demo');
  assert.ok(shop, 'the demo shop exists');
  return shop.id;
}

function daysAgo(days) {
  return new Date(Date.now() - days * 86400000).toISOString();
}

async function order(tok, shop, orderNo, signedDaysAgo) {
  const answer = await api('PUT', `/api/v1/shops/${shop}/orders/${orderNo}`, tok, {
    buyer: 'e2e_买家', paid_at: daysAgo(signedDaysAgo + 3), shipped_at: daysAgo(signedDaysAgo + 2),
    signed_at: daysAgo(signedDaysAgo),
    lines: [{ sku: 'E2E-SKU', title: '测试商品 纯棉袜子 5双装', category: '服装', quantity: 1, unit_price_fen: 3990 }],
  });
  assert.ok(answer.status === 200 || answer.status === 201, JSON.stringify(answer.body));
}

// Scrolls so that the card `selector` starts just below the sticky header (for a screenshot).
async function cardInView(page, selector) {
  await page.evaluate((s) => {
    const top = document.querySelector(s).getBoundingClientRect().top + window.scrollY;
    window.scrollTo(0, Math.max(0, top - 64));
  }, selector);
}

// `expected`, for a journey about failures: { allow: RegExp, seen: [] } — console errors the
// journey causes on purpose are collected in `seen` (the journey asserts them) instead of failing
// the run; any other still does. `viewport`: the window size, 1440×900 unless told.
// The supervisor's lists come fifty to a page, the most pressing first: looking for one ticket,
// a supervisor goes on to the next page until it is there.
async function followUpsWith(page, path, id) {
  await page.goto(`${BASE}${path}`);
  for (let n = 2; ; n += 1) {
    if (await page.locator(`input[name="ticket"][value="${id}"]`).count() > 0) return;
    const next = page.locator('.pager a[rel="next"]');
    assert.ok(await next.count() > 0, `ticket ${id} is on a page of ${path}`);
    await Promise.all([page.waitForURL((url) => url.searchParams.get('page') === String(n)), next.click()]);
  }
}

async function signedInPage(login, password, lang, expected, viewport = { width: 1440, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (expected && expected.allow.test(m.text())) expected.seen.push(m.text());
    else consoleErrors.push(`${login}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${login}: ${e.message}`));
  await page.goto(BASE + '/login');
  await page.fill('#login', login);
  await page.fill('#password', password);
  // Each role lands where its work is (agent: the queue, supervisor: follow-ups, owner: reports).
  await Promise.all([page.waitForURL((url) => url.pathname !== '/login'), page.click('button[type=submit]')]);
  return page;
}

test('an agent works a ticket from the queue without reloading the page', async () => {
  const tok = await token('e2e-agent', 'e2e-agent-pass');
  const shop = await demoShop(tok);
  await order(tok, shop, 'E2E-1001', 2);
  const created = await api('POST', `/api/v1/shops/${shop}/tickets`, tok, {
    kind: 'return', order_no: 'E2E-1001', reason: 'quality', description: '袜子有破洞，要求退货', refund_fen: 3990,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;

  const page = await signedInPage('e2e-agent', 'e2e-agent-pass');
  // The row's link carries the ticket's place in the queue (`?from=`), for `n`.
  await page.waitForSelector(`a[href^="/tickets/${id}?from="]`);
  await page.screenshot({ path: 'screenshots/01-agent-queue.png', fullPage: true });
  await Promise.all([page.waitForURL(new RegExp(`/tickets/${id}\\?from=`)), page.click(`a[href^="/tickets/${id}?from="]`)]);
  await page.evaluate(() => { window.__noReload = true; });

  await page.selectOption('#channel', 'phone');
  await page.fill('#summary', '已电话联系买家，请其拍照上传破洞位置');
  await page.click('#follow-up-form button[type=submit]');
  await page.waitForSelector('#timeline li.ev-follow_up');
  assert.match(await page.textContent('#timeline'), /已电话联系买家/);

  // Approving a return opens its own small form (the return address); confirming it moves.
  await page.click('#move-approved summary');
  await page.click('#move-approved button[name="to"]');
  await page.waitForFunction(() => document.querySelector('.page-head .status')?.textContent.includes('已同意'));
  assert.match(await page.textContent('#timeline'), /待处理 → 已同意/);
  assert.equal(await page.evaluate(() => window.__noReload), true, 'the page was not reloaded');
  await page.screenshot({ path: 'screenshots/02-agent-ticket.png', fullPage: true });
  await page.context().close();
});

test('a no-reason return outside the window is refused with the explanation shown', async () => {
  const tok = await token('e2e-agent', 'e2e-agent-pass');
  const shop = await demoShop(tok);
  await order(tok, shop, 'E2E-2001', 20);
  const page = await signedInPage('e2e-agent', 'e2e-agent-pass');
  await page.goto(`${BASE}/tickets/new?shop=${shop}&order_no=E2E-2001`);
  await page.selectOption('#kind', 'return');
  await page.selectOption('#reason', 'no_reason');
  await page.fill('#description', '不想要了');
  await page.click('form[action="/tickets"] button[type=submit]');
  await page.waitForSelector('.flash-error');
  const message = await page.textContent('.flash-error');
  assert.match(message, /7天无理由|七天|无理由/);
  await page.screenshot({ path: 'screenshots/03-refused-return.png', fullPage: true });
  await page.context().close();
});

test('a supervisor sees an overdue ticket and reassigns it in bulk', async () => {
  const tok = await token('e2e-agent', 'e2e-agent-pass');
  const shop = await demoShop(tok);
  await order(tok, shop, 'E2E-3001', 3);
  const created = await api('POST', `/api/v1/shops/${shop}/tickets`, tok, {
    kind: 'logistics', order_no: 'E2E-3001', reason: 'logistics_stuck', description: '物流三天没有更新',
    opened_at: new Date(Date.now() - 30 * 3600000).toISOString(),
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  const page = await signedInPage('e2e-super', 'e2e-super-pass');
  assert.equal(new URL(page.url()).pathname, '/follow-ups', 'a supervisor lands on the follow-up queue');
  await followUpsWith(page, '/follow-ups', id);
  const box = page.locator(`input[name="ticket"][value="${id}"]`);
  await box.check();
  const options = await page.$$eval('select[name="assignee"] option', (os) => os.map((o) => ({ value: o.value, text: o.textContent })));
  const target = options.find((o) => o.text.includes('小李')) || options[0];
  await page.selectOption('select[name="assignee"]', target.value);
  await Promise.all([page.waitForURL(/done=reassigned/), page.click('#bulk button[type=submit]:not([formaction])')]);
  assert.match(await page.textContent('.flash'), /已转派 1/);
  await page.screenshot({ path: 'screenshots/04-supervisor-follow-ups.png', fullPage: true });
  const ticket = await api('GET', `/api/v1/tickets/${id}`, tok);
  assert.equal(String(ticket.body.assignee), target.value);
  await page.context().close();
});

test('the language switch shows the English UI', async () => {
  const page = await signedInPage('e2e-agent', 'e2e-agent-pass');
  await page.click('.lang a:has-text("EN")');
  await page.waitForSelector('html[lang="en"]');
  assert.match(await page.textContent('header'), /My queue/);
  assert.match(await page.textContent('main'), /Next deadline|No open tickets/);
  await page.screenshot({ path: 'screenshots/05-english.png', fullPage: true });
  await page.context().close();
});

test('an agent inserts a canned reply with the keyboard and records it as the follow-up', async () => {
  const tok = await token('e2e-agent', 'e2e-agent-pass');
  const shop = await demoShop(tok);
  await order(tok, shop, 'E2E-4001', 2);
  const created = await api('POST', `/api/v1/shops/${shop}/tickets`, tok, {
    kind: 'refund', order_no: 'E2E-4001', reason: 'quality', description: '袜子起球，申请退款', refund_fen: 3990,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  // 退款已完成 is offered once the refund is made, not before.
  const before = await api('GET', `/api/v1/tickets/${id}/replies`, tok);
  assert.ok(!before.body.some((r) => r.title === '退款已完成'), 'not offered before the refund');
  let version = created.body.version;
  for (const to of ['approved', 'refunded']) {
    const moved = await api('POST', `/api/v1/tickets/${id}/transitions`, tok, { to, version });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    version = moved.body.version;
  }
  const page = await signedInPage('e2e-agent', 'e2e-agent-pass');
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
  await page.goto(`${BASE}/tickets/${id}`);

  // ? shows the shortcuts, Esc closes them.
  await page.keyboard.press('?');
  await page.waitForSelector('#kbd-help');
  assert.match(await page.textContent('#kbd-help'), /键盘快捷键/);
  await page.keyboard.press('Escape');
  await page.waitForSelector('#kbd-help', { state: 'detached' });

  // f focuses the summary; Ctrl+/ opens the picker; type to search; Enter inserts.
  await page.keyboard.press('f');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'summary');
  await page.keyboard.type('亲，');
  await page.keyboard.press('Control+/');
  await page.waitForSelector('#reply-picker:not([hidden])');
  await page.keyboard.type('退款已完成');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#reply-picker', { state: 'hidden' });
  const summary = await page.inputValue('#summary');
  assert.match(summary, /^亲，e2e_买家 您好，订单 E2E-4001 的退款 ¥39\.90 已原路退回/);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'summary');
  assert.notEqual(await page.inputValue('#canned-reply'), '');
  await page.screenshot({ path: 'screenshots/06-canned-reply.png', fullPage: true });

  // Ctrl+Enter records the follow-up in place; the timeline names the reply.
  await page.keyboard.press('Control+Enter');
  await page.waitForSelector('#timeline li.ev-follow_up');
  assert.match(await page.textContent('#timeline li.ev-follow_up'), /快捷短语：退款已完成/);
  const ticket = await api('GET', `/api/v1/tickets/${id}`, tok);
  const followUp = ticket.body.timeline.find((e) => e.kind === 'follow_up');
  assert.equal(followUp.data.canned_reply.title, '退款已完成');
  assert.match(followUp.data.summary, /E2E-4001/);

  // A reply written for another state is behind "show all" and is not inserted silently.
  await page.focus('#summary');
  await page.keyboard.press('Control+/');
  await page.waitForSelector('#reply-picker:not([hidden])');
  await page.keyboard.type('提醒买家寄回');
  assert.equal(await page.locator('.reply-option:visible').count(), 0, 'hidden: this refund has nothing to send back');
  await page.check('#reply-show-all');
  await page.waitForSelector('.reply-option.reply-unfit:visible');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#reply-warning:not([hidden])');
  assert.match(await page.textContent('#reply-warning'), /与当前工单的类型或状态不符/);
  assert.match(await page.textContent('#reply-warning'), /\{buyer_ship_deadline\}/);
  assert.equal(await page.inputValue('#summary'), '', 'nothing inserted yet');
  await page.screenshot({ path: 'screenshots/06b-reply-warning.png', fullPage: false });
  await page.keyboard.press('Enter');
  await page.waitForSelector('#reply-picker', { state: 'hidden' });
  assert.match(await page.inputValue('#summary'), /\{buyer_ship_deadline\}/);
  // Saving it with the placeholder left is refused next to the box, the text kept.
  await page.keyboard.press('Control+Enter');
  await page.waitForSelector('#summary-error');
  assert.match(await page.textContent('#summary-error'), /\{buyer_ship_deadline\}/);
  assert.match(await page.inputValue('#summary'), /\{buyer_ship_deadline\}/);

  // Copy (Shift+Enter): the reply goes to the clipboard for 千牛 and into the follow-up as a chat.
  await page.fill('#summary', '');
  await page.keyboard.press('Control+/');
  await page.waitForSelector('#reply-picker:not([hidden])');
  await page.keyboard.type('首次问候');
  await page.keyboard.press('Shift+Enter');
  await page.waitForSelector('#reply-status:not([hidden])');
  assert.match(await page.textContent('#reply-status'), /已复制到剪贴板/);
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.match(copied, /关于订单 E2E-4001 的问题由我为您处理/);
  assert.equal(await page.inputValue('#summary'), copied);
  assert.equal(await page.inputValue('#channel'), 'chat');
  await page.keyboard.press('Control+Enter');
  await page.waitForFunction(() => document.querySelectorAll('#timeline li.ev-follow_up').length === 2);
  const after = await api('GET', `/api/v1/tickets/${id}`, tok);
  const titles = after.body.timeline.filter((e) => e.kind === 'follow_up').map((e) => e.data.canned_reply?.title);
  assert.deepEqual(titles.sort(), ['退款已完成', '首次问候'].sort());
  await page.context().close();
});

test('an agent attaches a photo as evidence and sees its thumbnail; a forbidden file is refused', async () => {
  const tok = await token('e2e-agent', 'e2e-agent-pass');
  const shop = await demoShop(tok);
  await order(tok, shop, 'E2E-5001', 2);
  const created = await api('POST', `/api/v1/shops/${shop}/tickets`, tok, {
    kind: 'return', order_no: 'E2E-5001', reason: 'damaged', description: '包装破损，袜子有污渍', refund_fen: 3990,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  const page = await signedInPage('e2e-agent', 'e2e-agent-pass');
  await page.goto(`${BASE}/tickets/${id}`);
  await page.evaluate(() => { window.__noReload = true; });

  // A 1×1 PNG.
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
  await page.setInputFiles('#evidence-file', { name: '破损照片.png', mimeType: 'image/png', buffer: png });
  await page.click('#evidence-form button[type=submit]');
  await page.waitForSelector('img.evidence-thumb');
  await page.waitForFunction(() => {
    const img = document.querySelector('img.evidence-thumb');
    return img && img.complete && img.naturalWidth > 0;
  });
  assert.match(await page.textContent('#evidence'), /破损照片\.png/);
  assert.match(await page.textContent('#timeline'), /上传了凭证/);

  // A text file named like a photo is refused with the reason, and nothing is stored.
  await page.setInputFiles('#evidence-file', { name: 'fake.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not really a photo') });
  await page.click('#evidence-form button[type=submit]');
  await page.waitForSelector('.flash-error');
  assert.match(await page.textContent('.flash-error'), /只接受 JPEG、PNG、WebP 照片或 PDF/);
  assert.equal(await page.locator('.evidence-item').count(), 1);
  assert.equal(await page.evaluate(() => window.__noReload), true, 'the page was not reloaded');
  await page.screenshot({ path: 'screenshots/07-evidence.png', fullPage: true });
  const listed = await api('GET', `/api/v1/tickets/${id}/evidence`, tok);
  assert.equal(listed.body.length, 1);
  await page.context().close();
});

test('an owner opens the reports, changes the period and downloads the CSV', async () => {
  const page = await signedInPage('e2e-owner', 'e2e-owner-pass');
  assert.equal(new URL(page.url()).pathname, '/reports', 'an owner lands on the reports');
  await page.goto(`${BASE}/reports`);
  await page.waitForSelector('#report-summary table');
  // The charts are drawn in the page (SVG, readable without JavaScript).
  assert.ok(await page.locator('#report-trend svg').count() > 0, 'a trend chart');
  assert.ok(await page.locator('#report-reasons svg, #report-reasons .no-data, #report-reasons p').count() > 0);
  assert.match(await page.textContent('#report-summary'), /退货率/);
  // The last 90 days instead of the default period.
  const to = new Date();
  const from = new Date(to.getTime() - 89 * 86400000);
  const day = (d) => d.toISOString().slice(0, 10);
  await page.fill('input[name="from"]', day(from));
  await page.fill('input[name="to"]', day(to));
  await Promise.all([page.waitForURL(/from=/), page.click('form.filters button[type=submit]')]);
  assert.ok(page.url().includes(`from=${day(from)}`), page.url());
  assert.match(await page.textContent('.page-head'), new RegExp(day(from)));
  await page.screenshot({ path: 'screenshots/08-owner-reports.png', fullPage: true });
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('#report-summary a:has-text("导出 CSV")'),
  ]);
  assert.match(download.suggestedFilename(), /\.csv$/);
  const stream = await download.createReadStream();
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 with BOM for spreadsheet programs');
  assert.match(bytes.toString('utf8'), /退货率|return/i);
  await page.context().close();
});

test('refused fields are explained next to the field, in Chinese and in English, with what was typed kept', async () => {
  const tok = await token('e2e-agent', 'e2e-agent-pass');
  const shop = await demoShop(tok);
  await order(tok, shop, 'E2E-6001', 2);
  const page = await signedInPage('e2e-agent', 'e2e-agent-pass');

  // A negative refund on the new-ticket form (htmx swaps the form in place).
  await page.goto(`${BASE}/tickets/new?shop=${shop}&order_no=E2E-6001`);
  await page.selectOption('#kind', 'refund');
  await page.selectOption('#reason', 'quality');
  await page.fill('#refund_yuan', '-10');
  await page.fill('#description', '袜子起球，买家要求退款');
  await page.click('form[action="/tickets"] button[type=submit]');
  await page.waitForSelector('#refund_yuan-error');
  assert.equal(await page.textContent('#refund_yuan-error'), '退款金额不能为负数。');
  assert.equal(await page.inputValue('#refund_yuan'), '-10');
  assert.equal(await page.inputValue('#description'), '袜子起球，买家要求退款');
  assert.equal(await page.inputValue('#kind'), 'refund');
  assert.equal(await page.getAttribute('#refund_yuan', 'aria-invalid'), 'true');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: 'screenshots/09-negative-refund.png', fullPage: true });

  // A follow-up of only spaces on the ticket page.
  const created = await api('POST', `/api/v1/shops/${shop}/tickets`, tok, {
    kind: 'return', order_no: 'E2E-6001', reason: 'quality', description: '袜子有破洞，要求退货', refund_fen: 3990,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  await page.goto(`${BASE}/tickets/${id}`);
  await page.selectOption('#channel', 'phone');
  await page.fill('#summary', '   ');
  await page.click('#follow-up-form button[type=submit]');
  await page.waitForSelector('#summary-error');
  assert.equal(await page.textContent('#summary-error'), '请填写内容，不能只有空格。');
  assert.equal(await page.inputValue('#channel'), 'phone');
  assert.equal(await page.inputValue('#summary'), '   ');
  assert.equal(await page.locator('#timeline li.ev-follow_up').count(), 0, 'nothing was recorded');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: 'screenshots/10-follow-up-only-spaces.png', fullPage: true });

  // The same form in English, after the header's language switch: a refund above the total.
  await page.click('.lang a:has-text("EN")');
  await page.waitForSelector('html[lang="en"]');
  await page.goto(`${BASE}/tickets/new?shop=${shop}&order_no=E2E-6001`);
  await page.selectOption('#kind', 'refund');
  await page.selectOption('#reason', 'quality');
  await page.fill('#refund_yuan', '50.00');
  await page.click('form[action="/tickets"] button[type=submit]');
  await page.waitForSelector('#refund_yuan-error');
  assert.equal(await page.textContent('#refund_yuan-error'),
    "The refund (¥50.00) is more than the order's total (¥39.90); check it and try again.");
  assert.equal(await page.inputValue('#refund_yuan'), '50.00');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: 'screenshots/11-refund-above-total-en.png', fullPage: true });
  await page.context().close();
});

test('a bulk action with nothing ticked is explained beside the boxes, the chosen agent kept', async () => {
  const tok = await token('e2e-agent', 'e2e-agent-pass');
  const shop = await demoShop(tok);
  await order(tok, shop, 'E2E-7001', 3);
  const created = await api('POST', `/api/v1/shops/${shop}/tickets`, tok, {
    kind: 'logistics', order_no: 'E2E-7001', reason: 'logistics_stuck', description: '快递停在中转站两天',
    opened_at: new Date(Date.now() - 30 * 3600000).toISOString(),
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const page = await signedInPage('e2e-super', 'e2e-super-pass');
  await followUpsWith(page, '/follow-ups', created.body.id);
  const options = await page.$$eval('select[name="assignee"] option', (os) => os.map((o) => ({ value: o.value, text: o.textContent })));
  const target = options[options.length - 1];
  await page.selectOption('select[name="assignee"]', target.value);
  await page.evaluate(() => { window.__noReload = true; });
  await page.click('#bulk button[type=submit]:not([formaction])');
  await page.waitForSelector('#bulk-error');
  assert.equal(await page.evaluate(() => window.__noReload), true, 'the form was swapped in place');
  assert.equal(await page.textContent('#bulk-error'), '请先在列表中勾选至少一个工单。');
  assert.equal(await page.inputValue('select[name="assignee"]'), target.value, 'the chosen agent is kept');
  assert.equal(await page.getAttribute(`input[name="ticket"][value="${created.body.id}"]`, 'aria-describedby'), 'bulk-error');
  // The top of the page: the bulk bar, the message and the first boxes (the whole list is long).
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: 'screenshots/12-bulk-nothing-ticked.png' });
  const ticket = await api('GET', `/api/v1/tickets/${created.body.id}`, tok);
  assert.equal(ticket.body.version, 1, 'nothing was changed');
  await page.context().close();
});

test('a move the workflow refuses is explained on the ticket page: a missing resolution beside its choice', async () => {
  const tok = await token('e2e-agent', 'e2e-agent-pass');
  const shop = await demoShop(tok);
  await order(tok, shop, 'E2E-7001', 2);
  const created = await api('POST', `/api/v1/shops/${shop}/tickets`, tok, {
    kind: 'logistics', order_no: 'E2E-7001', reason: 'logistics_stuck', description: '物流四天没有更新',
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  const contacted = await api('POST', `/api/v1/tickets/${id}/transitions`, tok, { to: 'carrier_contacted', version: 1 });
  assert.equal(contacted.status, 200, JSON.stringify(contacted.body));

  const page = await signedInPage('e2e-agent', 'e2e-agent-pass');
  await page.goto(`${BASE}/tickets/${id}`);
  await page.evaluate(() => { window.__noReload = true; });
  await page.fill('#move-note', '快递已补发');
  await page.click('button[name="to"][value="resolved"]');
  await page.waitForSelector('#resolution-error');
  assert.equal(await page.textContent('#resolution-error'), '物流工单要标记为已解决，请先在这里选择处理结果。');
  assert.equal(await page.getAttribute('#resolution', 'aria-invalid'), 'true');
  assert.equal(await page.inputValue('#move-note'), '快递已补发', 'the note is kept');
  assert.equal(await page.evaluate(() => window.__noReload), true, 'the page was not reloaded');
  const still = await api('GET', `/api/v1/tickets/${id}`, tok);
  assert.equal(still.body.status, 'carrier_contacted', 'the ticket did not move');
  await page.locator('#resolution').scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'screenshots/13-resolution-missing.png' });

  // With the resolution chosen, the same form moves it.
  await page.selectOption('#resolution', 'reshipped');
  await page.click('button[name="to"][value="resolved"]');
  await page.waitForSelector('#resolution-error', { state: 'detached' });
  await page.waitForFunction(() => document.querySelector('#timeline')?.textContent.includes('已解决'));
  await page.context().close();
});

test('two tabs: a follow-up typed after the other tab approved is saved, a stale move keeps its note', async () => {
  const tok = await token('e2e-agent', 'e2e-agent-pass');
  const shop = await demoShop(tok);
  await order(tok, shop, 'E2E-8001', 2);
  const created = await api('POST', `/api/v1/shops/${shop}/tickets`, tok, {
    kind: 'return', order_no: 'E2E-8001', reason: 'quality', description: '袜子脱线，要求退货', refund_fen: 3990,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;

  const tabA = await signedInPage('e2e-agent', 'e2e-agent-pass');
  const tabB = await tabA.context().newPage();
  tabB.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`tab B: ${m.text()}`); });
  tabB.on('pageerror', (e) => consoleErrors.push(`tab B: ${e.message}`));
  await tabA.goto(`${BASE}/tickets/${id}`);
  await tabB.goto(`${BASE}/tickets/${id}`);

  // Tab A approves; tab B, still on the old version, records a follow-up: an append, saved.
  await tabA.click('#move-approved summary');
  await tabA.click('#move-approved button[name="to"]');
  await tabA.waitForFunction(() => document.querySelector('.page-head .status')?.textContent.includes('已同意'));
  await tabB.fill('#summary', '已告知买家退货地址');
  await tabB.click('#follow-up-form button[type=submit]');
  await tabB.waitForSelector('#ticket-body .flash-ok');
  assert.match(await tabB.textContent('#timeline'), /已告知买家退货地址/);
  assert.equal(await tabB.inputValue('#summary'), '', 'the saved follow-up leaves the box');

  // Tab A has not seen that follow-up: its move is on a stale version, refused, the note kept.
  await tabA.fill('#move-note', '买家说今天寄回');
  await tabA.click('button[form="moves-form"]:not([data-confirm])');
  await tabA.waitForSelector('#ticket-body .flash-error');
  assert.match(await tabA.textContent('#ticket-body .flash-error'), /当前状态为「已同意」/);
  assert.equal(await tabA.inputValue('#move-note'), '买家说今天寄回', 'the typed note is kept');
  await tabA.screenshot({ path: 'screenshots/14-stale-move.png' });
  const after = await api('GET', `/api/v1/tickets/${id}`, tok);
  assert.equal(after.body.status, 'approved', 'the stale move changed nothing');
  await tabA.context().close();
});

test('an expired session on Ctrl+Enter leads back, after signing in, to the ticket with the draft', async () => {
  const tok = await token('e2e-agent', 'e2e-agent-pass');
  const shop = await demoShop(tok);
  await order(tok, shop, 'E2E-9001', 2);
  const created = await api('POST', `/api/v1/shops/${shop}/tickets`, tok, {
    kind: 'return', order_no: 'E2E-9001', reason: 'quality', description: '颜色与图片不符', refund_fen: 3990,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;

  const page = await signedInPage('e2e-agent', 'e2e-agent-pass');
  await page.goto(`${BASE}/tickets/${id}`);
  await page.fill('#summary', '买家同意补拍照片，明天上传');
  await page.context().clearCookies();
  await page.focus('#summary');
  await Promise.all([page.waitForURL(/\/login\?expired=1/), page.keyboard.press('Control+Enter')]);
  assert.match(await page.textContent('.login-box .flash-error'), /会话已过期，请重新登录/);
  await page.screenshot({ path: 'screenshots/15-session-expired.png' });
  await page.fill('#login', 'e2e-agent');
  await page.fill('#password', 'e2e-agent-pass');
  await Promise.all([page.waitForURL(`${BASE}/tickets/${id}`), page.click('button[type=submit]')]);
  assert.equal(await page.inputValue('#summary'), '买家同意补拍照片，明天上传', 'the draft is back in the box');

  // Saved now: the draft is forgotten, a reload shows an empty box.
  await page.click('#follow-up-form button[type=submit]');
  await page.waitForSelector('#ticket-body .flash-ok');
  assert.match(await page.textContent('#timeline'), /买家同意补拍照片/);
  await page.reload();
  assert.equal(await page.inputValue('#summary'), '', 'the saved draft is not restored');
  await page.context().close();
});

test('an htmx save that fails (5xx, or no connection) says so in the page\'s language and keeps the form', async () => {
  const tok = await token('e2e-agent', 'e2e-agent-pass');
  const shop = await demoShop(tok);
  await order(tok, shop, 'E2E-9101', 2);
  const created = await api('POST', `/api/v1/shops/${shop}/tickets`, tok, {
    kind: 'return', order_no: 'E2E-9101', reason: 'quality', description: '尺码不对', refund_fen: 3990,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  // The 500 and the aborted request below are caused on purpose: Chromium and htmx log them.
  const expected = { allow: /status of 500|Response Status Error Code 500 from|^htmx:sendError|^htmx:afterRequest|ERR_FAILED/, seen: [] };
  const page = await signedInPage('e2e-agent', 'e2e-agent-pass', undefined, expected);
  await page.goto(`${BASE}/tickets/${id}`);
  await page.fill('#summary', '已联系买家确认尺码');

  await page.route(`**/tickets/${id}/follow-ups`, (route) => route.fulfill({ status: 500, body: 'fault' }));
  await page.click('#follow-up-form button[type=submit]');
  await page.waitForSelector('#request-error');
  assert.equal(await page.textContent('#request-error'), '未能保存（服务器返回错误），填写的内容仍保留，请稍后重试。');
  assert.equal(await page.inputValue('#summary'), '已联系买家确认尺码', 'the form is left as typed');
  await page.screenshot({ path: 'screenshots/16-request-failed.png' });

  await page.unroute(`**/tickets/${id}/follow-ups`);
  await page.route(`**/tickets/${id}/follow-ups`, (route) => route.abort('failed'));
  await page.click('#follow-up-form button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#request-error')?.textContent.includes('无法连接服务器'));
  assert.equal(await page.inputValue('#summary'), '已联系买家确认尺码');
  // Exactly what the two failures log: the 500 (Chromium, htmx) and the aborted request (htmx
  // twice, Chromium).
  const caused = [/status of 500/, /^Response Status Error Code 500 from/, /^htmx:afterRequest/, /^htmx:sendError/,
    /ERR_FAILED/];
  assert.equal(expected.seen.length, caused.length, JSON.stringify(expected.seen));
  for (const pattern of caused) assert.ok(expected.seen.some((text) => pattern.test(text)), String(pattern));

  // Back online, the same form saves and the message goes.
  await page.unroute(`**/tickets/${id}/follow-ups`);
  await page.click('#follow-up-form button[type=submit]');
  await page.waitForSelector('#ticket-body .flash-ok');
  assert.equal(await page.locator('#request-error').count(), 0);
  assert.match(await page.textContent('#timeline'), /已联系买家确认尺码/);
  await page.context().close();
});

test('the loop: from the queue, n → follow-up → n reaches the next overdue ticket in the order shown, three times', async () => {
  const tok = await token('e2e-agent', 'e2e-agent-pass');
  const shop = await demoShop(tok);
  // Four tickets overdue for days, opened an hour apart: the most overdue of the agent's queue.
  const ids = [];
  for (let i = 0; i < 4; i++) {
    const orderNo = `E2E-800${i}`;
    await order(tok, shop, orderNo, 8);
    const created = await api('POST', `/api/v1/shops/${shop}/tickets`, tok, {
      kind: 'logistics', order_no: orderNo, reason: 'logistics_stuck', description: `物流停滞 第${i + 1}单`,
      opened_at: new Date(Date.now() - (7 * 24 - i) * 3600000).toISOString(),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    ids.push(created.body.id);
  }

  const page = await signedInPage('e2e-agent', 'e2e-agent-pass');
  assert.equal(new URL(page.url()).pathname, '/', 'an agent lands on the queue');
  const shown = await page.$$eval('#queue-results tbody tr.overdue a[href^="/tickets/"]',
    (links) => links.map((a) => Number(new URL(a.href).pathname.split('/')[2])));
  assert.deepEqual(shown.slice(0, 4), ids, 'the queue shows them most overdue first');

  // j/k walk the rows with a visible focus.
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  await page.keyboard.press('k');
  assert.equal(await page.locator('#queue-results tbody tr.kbd-row').count(), 1);
  assert.equal(await page.getAttribute('#queue-results tbody tr.kbd-row a[href^="/tickets/"]', 'href'),
    await page.getAttribute('#queue-results tbody tr:first-child a[href^="/tickets/"]', 'href'));
  await page.screenshot({ path: 'screenshots/17-queue-row-focus.png' });

  // From the queue, n opens the first row; then follow-up and n, three times.
  await Promise.all([page.waitForURL(new RegExp(`/tickets/${ids[0]}\\?from=`)), page.keyboard.press('n')]);
  for (let step = 1; step <= 3; step++) {
    const summary = `第${step}次跟进：已催促快递`;
    await page.fill('#summary', summary);
    await page.click('#follow-up-form button[type=submit]');
    await page.waitForFunction((text) => document.querySelector('#timeline')?.textContent.includes(text), summary);
    // The swap settles by giving the box the focus back; only then does Escape leave it for `n`.
    await page.waitForFunction(() => document.activeElement?.id === 'summary');
    await page.keyboard.press('Escape');
    await Promise.all([page.waitForURL(new RegExp(`/tickets/${ids[step]}\\?from=`)), page.keyboard.press('n')]);
  }
  await page.screenshot({ path: 'screenshots/18-loop-fourth-ticket.png' });
  await page.context().close();
});

// The box of `selector` (each match) lies inside the window as it is, without scrolling.
async function assertInView(page, selector, viewport) {
  const boxes = await page.locator(selector).evaluateAll((els) => els
    .filter((el) => el.offsetParent !== null)
    .map((el) => { const r = el.getBoundingClientRect(); return { x: r.x, y: r.y, width: r.width, height: r.height }; }));
  assert.ok(boxes.length > 0, `${selector} is on the page`);
  for (const box of boxes) {
    assert.ok(box.x >= 0 && box.x + box.width <= viewport.width, `${selector} fits across: ${JSON.stringify(box)}`);
    assert.ok(box.y >= 0 && box.y + box.height <= viewport.height, `${selector} fits down: ${JSON.stringify(box)}`);
  }
}

test('on a ticket with a long history the follow-up box and the moves are in view at 1280×720', async () => {
  const tok = await token('e2e-agent', 'e2e-agent-pass');
  const shop = await demoShop(tok);
  await order(tok, shop, 'E2E-9101', 2);
  const created = await api('POST', `/api/v1/shops/${shop}/tickets`, tok, {
    kind: 'return', order_no: 'E2E-9101', reason: 'quality', description: '袜子起球，买家要求退货', refund_fen: 3990,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  for (let i = 1; i <= 19; i++) {
    const current = await api('GET', `/api/v1/tickets/${id}`, tok);
    const note = await api('POST', `/api/v1/tickets/${id}/notes`, tok, {
      text: `第${i}次沟通：买家补充了照片和说明，已记录`, version: current.body.version,
    });
    assert.equal(note.status, 201, JSON.stringify(note.body));
  }

  const viewport = { width: 1280, height: 720 };
  const page = await signedInPage('e2e-agent', 'e2e-agent-pass', undefined, undefined, viewport);
  await page.goto(`${BASE}/tickets/${id}`);
  assert.ok(await page.locator('#timeline li.event').count() >= 20, 'the ticket has 20 timeline events');
  assert.equal(await page.evaluate(() => window.scrollY), 0, 'nothing scrolled');
  // The moves as the agent sees them: the bare buttons, and the openers of the moves with a form.
  for (const selector of ['#summary', '#follow-up-form button[type=submit]', 'button[form="moves-form"]', '#moves summary']) {
    await assertInView(page, selector, viewport);
  }
  await page.screenshot({ path: 'screenshots/19-composer-in-view.png' });

  // Reading the end of the timeline keeps the composer and the moves in view beside it.
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  assert.ok(await page.evaluate(() => window.scrollY) > 0, 'the page scrolls with the timeline');
  // The moves as the agent sees them: the bare buttons, and the openers of the moves with a form.
  for (const selector of ['#summary', '#follow-up-form button[type=submit]', 'button[form="moves-form"]', '#moves summary']) {
    await assertInView(page, selector, viewport);
  }

  // A saved follow-up gives the focus back to the box, ready for the next contact.
  await page.fill('#summary', '已电话告知买家退货流程');
  await page.click('#follow-up-form button[type=submit]');
  await page.waitForSelector('#ticket-body .flash-ok');
  await page.waitForFunction(() => document.activeElement?.id === 'summary');
  assert.match(await page.textContent('#timeline'), /已电话告知买家退货流程/);
  await assertInView(page, '#summary', viewport);
  await page.context().close();
});

test('an admin creates an agent, the agent changes the password, and deactivation ends the session', async () => {
  const admin = await signedInPage('e2e-admin', 'e2e-admin-pass');
  await admin.goto(`${BASE}/admin`);
  await admin.click('a[href="/admin/users"]');
  await admin.waitForURL(/\/admin\/users$/);
  await admin.fill('#new-login', 'e2e-new-agent');
  await admin.fill('#new-name', '新客服');
  await admin.selectOption('#new-role', 'agent');
  await admin.check('#user-add input[name=shops] >> nth=0');
  await Promise.all([admin.waitForLoadState(), admin.click('#user-add button[type=submit]')]);
  await admin.waitForSelector('#shown-password');
  const password = (await admin.textContent('#shown-password-value')).trim();
  assert.equal(password.length, 14);
  await admin.screenshot({ path: 'screenshots/23-admin-users.png', fullPage: false });

  // The agent signs in with it and changes it; a mismatch is said next to the field first.
  // The refused forms below answer 422 and the ended session 401: expected, not page errors.
  const expected = { allow: /status of (422|401)/, seen: [] };
  const agent = await signedInPage('e2e-new-agent', password, undefined, expected);
  await agent.click('.userbox a.user');
  await agent.waitForURL(/\/account$/);
  await agent.fill('#current-password', password);
  await agent.fill('#new-password', 'e2e-new-agent-pass-1');
  await agent.fill('#confirm-password', 'e2e-new-agent-pass-2');
  await Promise.all([agent.waitForLoadState(), agent.click('#password-form button[type=submit]')]);
  await agent.waitForSelector('#confirm-password-error');
  assert.match(await agent.textContent('#confirm-password-error'), /两次输入的新密码不一致/);
  await agent.fill('#current-password', password);
  await agent.fill('#new-password', 'e2e-new-agent-pass-1');
  await agent.fill('#confirm-password', 'e2e-new-agent-pass-1');
  await Promise.all([agent.waitForURL(/done=password/), agent.click('#password-form button[type=submit]')]);
  assert.match(await agent.textContent('.flash-ok'), /密码已修改/);

  // The admin deactivates the agent: the agent's open session is refused at once.
  await admin.goto(`${BASE}/admin/users`);
  const row = admin.locator('tr.user-edit-row', { hasText: 'e2e-new-agent' });
  await row.locator('summary').click();
  admin.once('dialog', (d) => d.accept());
  await Promise.all([admin.waitForURL(/done=deactivated/), row.locator('button', { hasText: '停用' }).click()]);
  assert.match(await admin.textContent('.flash-ok'), /用户已停用/);
  await agent.goto(`${BASE}/?view=mine`);
  await agent.waitForURL(/\/login/);
  await agent.fill('#login', 'e2e-new-agent');
  await agent.fill('#password', 'e2e-new-agent-pass-1');
  await agent.click('button[type=submit]');
  await agent.waitForSelector('.flash-error, .field-error, [role=alert]');
  assert.match(agent.url(), /\/login/);
  assert.ok(expected.seen.length >= 2, JSON.stringify(expected.seen));
  await admin.context().close();
  await agent.context().close();
});

test('a return: approved with the default address, shipped back with a tracking number, a failed inspection refused without a photo and accepted with one', async () => {
  const tok = await token('e2e-agent', 'e2e-agent-pass');
  const shop = await demoShop(tok);
  const supervisor = await token('e2e-super', 'e2e-super-pass');
  const address = await api('POST', `/api/v1/shops/${shop}/return-addresses`, supervisor, {
    label: 'E2E 杭州仓', recipient: '王仓管', phone: '0571-88886666', address: '浙江省杭州市余杭区仓前街道 1 号 退货组', is_default: true,
  });
  assert.equal(address.status, 201, JSON.stringify(address.body));
  await order(tok, shop, 'E2E-9201', 2);
  const created = await api('POST', `/api/v1/shops/${shop}/tickets`, tok, {
    kind: 'return', order_no: 'E2E-9201', reason: 'quality', description: '袜子脱线，买家要求退货', refund_fen: 3990,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  const page = await signedInPage('e2e-agent', 'e2e-agent-pass');
  page.on('dialog', (dialog) => dialog.accept());
  await page.goto(`${BASE}/tickets/${id}`);
  await page.evaluate(() => { window.__noReload = true; });
  const status = (text) => page.waitForFunction((t) => document.querySelector('.page-head .status')?.textContent.includes(t), text);

  // 同意: the default address is preselected; approving records it on the ticket.
  await page.click('#move-approved summary');
  assert.equal(await page.inputValue('#move-approved-return-address'), String(address.body.id), 'the default is chosen');
  await page.click('#move-approved button[name="to"]');
  await status('已同意');
  assert.match(await page.textContent('#return-address'), /王仓管 0571-88886666 浙江省杭州市余杭区仓前街道 1 号 退货组/);

  // 买家已寄回: a number not of SF's shape is refused beside the field, what was typed kept.
  await page.click('#move-buyer_shipped summary');
  await page.selectOption('#move-buyer_shipped-carrier', 'sf');
  await page.fill('#move-buyer_shipped-tracking-no', 'YT1234567890123');
  await page.click('#move-buyer_shipped button[name="to"]');
  await page.waitForSelector('#move-buyer_shipped-tracking-no-error');
  assert.match(await page.textContent('#move-buyer_shipped-tracking-no-error'), /顺丰运单号为 SF 加 13 位/);
  assert.equal(await page.inputValue('#move-buyer_shipped-tracking-no'), 'YT1234567890123');
  assert.equal(await page.inputValue('#move-buyer_shipped-carrier'), 'sf');
  await page.screenshot({ path: 'screenshots/23-tracking-refused.png', fullPage: true });
  await page.fill('#move-buyer_shipped-tracking-no', 'sf 1234 5678 90123');
  await page.click('#move-buyer_shipped button[name="to"]');
  await status('买家已退货');
  assert.equal(await page.textContent('#tracking-no'), 'SF1234567890123', 'a code, normalised');
  assert.equal(await page.locator('#return-shipment a').count(), 0, 'no link');
  assert.equal(await page.getAttribute('#return-shipment button[data-copy]', 'data-copy'), 'SF1234567890123');
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
  await page.click('#return-shipment button[data-copy]');
  await page.waitForFunction(() => document.querySelector('#return-shipment button[data-copy]')?.textContent === '已复制');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'SF1234567890123', 'the copy button copies the number');

  // 确认收货 with the checklist all ok.
  await page.click('#move-received summary');
  for (const item of ['tags', 'accessories', 'seal', 'signs_of_use', 'quantity']) {
    await page.check(`#move-received input[name="${item}"][value="ok"]`);
  }
  await page.click('#move-received button[name="to"]');
  await status('已收货');

  // 验货不通过 without a photo is refused beside the photo, the checklist as marked kept.
  await page.click('#move-inspection_failed summary');
  for (const item of ['tags', 'accessories', 'signs_of_use', 'quantity']) {
    await page.check(`#move-inspection_failed input[name="${item}"][value="ok"]`);
  }
  await page.check('#move-inspection_failed input[name="seal"][value="not_ok"]');
  await page.fill('#move-inspection_failed-note', '封签已被拆开');
  await page.click('#move-inspection_failed button[name="to"]');
  await page.waitForSelector('#move-inspection_failed-photo-error');
  assert.match(await page.textContent('#move-inspection_failed-photo-error'), /验货不通过需至少附一张照片/);
  assert.equal(await page.isChecked('#move-inspection_failed input[name="seal"][value="not_ok"]'), true);
  assert.equal(await page.inputValue('#move-inspection_failed-note'), '封签已被拆开');
  await page.screenshot({ path: 'screenshots/24-inspection-refused.png', fullPage: true });

  // With the photo, in the same post: accepted, the checklist and the photo on the timeline.
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
  await page.setInputFiles('#move-inspection_failed-photo', { name: '封签.png', mimeType: 'image/png', buffer: png });
  await page.click('#move-inspection_failed button[name="to"]');
  await status('验货不通过');
  const timeline = await page.textContent('#timeline');
  assert.match(timeline, /封签\/包装：不合格/);
  assert.match(timeline, /验货照片：封签\.png/);
  assert.equal(await page.locator('.evidence-item').count(), 1, 'the photo is evidence of the ticket');
  assert.equal(await page.evaluate(() => window.__noReload), true, 'the page was not reloaded');
  await page.screenshot({ path: 'screenshots/25-inspection-failed.png', fullPage: true });

  const pack = await page.request.get(`${BASE}/tickets/${id}/evidence-pack`);
  assert.equal(pack.status(), 200);
  const html = await pack.text();
  assert.match(html, /验货记录/);
  assert.match(html, /封签\.png/);
  await page.context().close();
});

test('a partial refund of ¥50 on a ¥129 order, confirmed with its amount, is on the timeline and in the owner\'s refunded total', async () => {
  const tok = await token('e2e-agent', 'e2e-agent-pass');
  const shop = await demoShop(tok);
  const put = await api('PUT', `/api/v1/shops/${shop}/orders/E2E-1290`, tok, {
    buyer: 'e2e_买家', paid_at: daysAgo(5), shipped_at: daysAgo(4), signed_at: daysAgo(2),
    lines: [{ sku: 'E2E-TEE-129', title: '测试商品 纯棉T恤', category: '服装', quantity: 1, unit_price_fen: 12900 }],
  });
  assert.ok(put.status === 200 || put.status === 201, JSON.stringify(put.body));
  const created = await api('POST', `/api/v1/shops/${shop}/tickets`, tok, {
    kind: 'refund', order_no: 'E2E-1290', reason: 'quality', description: 'T恤开线，买家要求全额退款', refund_fen: 12900,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  const owner = await token('e2e-owner', 'e2e-owner-pass');
  const refundedTotal = async () => (await api('GET', `/api/v1/shops/${shop}/reports/returns`, owner)).body.summary.refund_fen;
  const before = await refundedTotal();

  const page = await signedInPage('e2e-agent', 'e2e-agent-pass', undefined, undefined, { width: 1280, height: 720 });
  const questions = [];
  page.on('dialog', (dialog) => { questions.push(dialog.message()); dialog.accept(); });
  await page.goto(`${BASE}/tickets/${id}`);

  // 同意退款 opens its own form with the amount asked for; ¥129.01 is refused beside the field.
  await page.click('#move-approved > summary');
  assert.equal(await page.inputValue('#move-approved-refund-yuan'), '129.00', 'the amount asked for is offered');
  await page.fill('#move-approved-refund-yuan', '129.01');
  await page.click('#move-approved button[name="to"]');
  await page.waitForSelector('#move-approved-refund-yuan-error');
  assert.match(await page.textContent('#move-approved-refund-yuan-error'), /¥129\.00/);
  assert.equal(await page.inputValue('#move-approved-refund-yuan'), '129.01', 'what was typed is kept');
  await page.screenshot({ path: 'screenshots/20-refund-above-paid.png' });

  // ¥50, confirmed with the amount.
  await page.fill('#move-approved-refund-yuan', '50');
  await page.click('#move-approved button[name="to"]');
  await page.waitForFunction(() => document.querySelector('.page-head .status')?.textContent.includes('已同意'));
  assert.match(questions.at(-1), /¥50/, 'the confirmation shows the amount');
  assert.match(await page.textContent('#timeline'), /同意退款 ¥50\.00/);

  // 已退款 offers the amount agreed and confirms it too.
  await page.click('#move-refunded > summary');
  assert.equal(await page.inputValue('#move-refunded-refund-yuan'), '50.00', 'the amount agreed is offered');
  await page.click('#move-refunded button[name="to"]');
  await page.waitForFunction(() => document.querySelector('.page-head .status')?.textContent.includes('已退款'));
  assert.match(questions.at(-1), /¥50\.00/);
  assert.match(await page.textContent('#timeline'), /退款 ¥50\.00/);
  await page.screenshot({ path: 'screenshots/21-partial-refund.png' });
  await page.context().close();

  // The owner's reports count ¥50.00 refunded (recounted in the background within a minute).
  const ownerPage = await signedInPage('e2e-owner', 'e2e-owner-pass');
  let row = '';
  for (let i = 0; i < 30 && !/¥50\.00/.test(row); i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 3000));
    await ownerPage.goto(`${BASE}/reports?by=sku`);
    // The by-SKU table of the counted figures (the after-sales cost card above it is live).
    row = (await ownerPage.locator('#report-rows tr', { hasText: 'E2E-TEE-129' }).first().textContent().catch(() => '')) || '';
  }
  assert.match(row, /¥50\.00/, `the SKU's refunded amount: ${row}`);
  assert.equal(await refundedTotal() - before, 5000, 'the shop\'s refunded total grew by the amount refunded');
  await ownerPage.screenshot({ path: 'screenshots/22-refund-in-reports.png', fullPage: true });
  await ownerPage.context().close();
});

test('a supervisor does two bulk actions in a row and sees both results; an escalated ticket reaches them with a notice', async () => {
  const tok = await token('e2e-agent', 'e2e-agent-pass');
  const shop = await demoShop(tok);
  await order(tok, shop, 'E2E-5001', 3);
  const ids = [];
  for (const hours of [31, 29]) {
    const created = await api('POST', `/api/v1/shops/${shop}/tickets`, tok, {
      kind: 'complaint', order_no: 'E2E-5001', reason: 'quality', description: `超时未跟进 ${hours}h`,
      opened_at: new Date(Date.now() - hours * 3600000).toISOString(),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    ids.push(created.body.id);
  }
  let page = await signedInPage('e2e-super', 'e2e-super-pass');
  for (const [i, id] of ids.entries()) {
    await followUpsWith(page, '/follow-ups?state=overdue', id);
    await page.locator(`input[name="ticket"][value="${id}"]`).check();
    // No default target: the first real choice is the least loaded, labelled so.
    assert.equal(await page.inputValue('select[name="assignee"]'), '');
    const least = await page.$$eval('select[name="assignee"] option', (os) => os.find((o) => /最空闲/.test(o.textContent))?.value);
    assert.ok(least, 'the least loaded is labelled');
    await page.selectOption('select[name="assignee"]', least);
    await Promise.all([page.waitForURL(/done=reassigned/), page.click('#bulk button[type=submit]:not([formaction])')]);
    assert.match(await page.textContent('.flash-ok'), /已转派 1 个工单/, `result ${i + 1} shown`);
    assert.equal((new URL(page.url())).searchParams.getAll('done').length, 1);
  }

  // The agent escalates a ticket from its page; the supervisor is told and finds it in their queue.
  const escalate = ids[0];
  await api('POST', `/api/v1/tickets/${escalate}/assignment`, tok, { assignee: null });
  const agent = await signedInPage('e2e-agent', 'e2e-agent-pass');
  await agent.goto(`${BASE}/tickets/${escalate}`);
  await agent.fill('#move-note', '买家情绪激动，要求主管处理');
  agent.once('dialog', (d) => d.accept());
  await agent.click('button[name="to"][value="escalated"]');
  await agent.waitForSelector('#ticket-body .flash-ok');
  await agent.context().close();

  // It went to the least loaded supervisor of the shop: sign in as whoever that is.
  const escalated = await api('GET', `/api/v1/tickets/${escalate}`, tok);
  const users = await api('GET', '/api/v1/users', await token('e2e-admin', 'e2e-admin-pass'));
  const holder = users.body.find((u) => u.id === escalated.body.assignee);
  assert.equal(holder?.role, 'supervisor', JSON.stringify(escalated.body));
  const passwords = { 'e2e-super': 'e2e-super-pass', supervisor: 'demo-supervisor' };
  if (holder.login !== 'e2e-super') {
    await page.context().close();
    page = await signedInPage(holder.login, passwords[holder.login]);
  }
  await page.goto(`${BASE}/follow-ups`);
  await page.waitForSelector('#notice-count');
  // The escalation's notice (and, if the bulk reassignment above gave this supervisor tickets,
  // those assignments' notices too): the newest first.
  assert.ok(Number(await page.textContent('#notice-count')) >= 1);
  await page.click('#notices-link');
  await page.waitForURL(/\/notifications$/);
  assert.match(await page.textContent('#notices'), /升级给了你/);
  assert.match(await page.textContent('#notices'), /买家情绪激动/);
  await page.screenshot({ path: 'screenshots/26-notice.png' });
  await Promise.all([page.waitForURL(new RegExp(`/tickets/${escalate}$`)), page.click('#notices .notice-open')]);
  assert.match(await page.textContent('h1'), /已升级主管/);
  assert.match(await page.textContent('h1'), /投诉|新建/);
  await page.goto(`${BASE}/?view=mine`);
  assert.match(await page.textContent('#queue-results'), new RegExp(`#${escalate}`));
  assert.match(await page.textContent('#queue-results'), /已升级主管（原：/);
  await page.screenshot({ path: 'screenshots/27-escalated-in-queue.png' });
  await page.context().close();
});

test('two agents at once: presence on a ticket, a reassignment that reaches the other\'s queue and bell live, a stale move that keeps the note', async () => {
  const tok = await token('e2e-agent', 'e2e-agent-pass');
  const shop = await demoShop(tok);
  await order(tok, shop, 'E2E-9501', 2);
  const ids = [];
  for (const description of ['商品有色差，买家要求退货', '快递外包装破损']) {
    const created = await api('POST', `/api/v1/shops/${shop}/tickets`, tok, {
      kind: 'return', order_no: 'E2E-9501', reason: 'quality', description, refund_fen: 3990,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    ids.push(created.body.id);
  }
  const [shared, handed] = ids;

  // A works in Chinese; B in English, in another browser (context).
  const a = await signedInPage('e2e-agent', 'e2e-agent-pass');
  const b = await signedInPage('e2e-agent2', 'e2e-agent2-pass');
  await b.click('.userbox .lang a:has-text("EN")');
  await b.waitForSelector('html[lang="en"]');

  // Both open the same ticket: each sees the other; typing shows as typing.
  await a.goto(`${BASE}/tickets/${shared}`);
  await b.goto(`${BASE}/tickets/${shared}`);
  await b.waitForSelector('#presence-viewing', { timeout: 3000 });
  assert.match(await b.textContent('#presence'), /e2e-agent also viewing/);
  await a.waitForSelector('#presence-viewing', { timeout: 3000 });
  assert.match(await a.textContent('#presence'), /e2e-agent2 也在查看/);
  await a.type('#summary', '正在和买家确认色差');
  await b.waitForSelector('#presence-typing', { timeout: 3000 });
  assert.match(await b.textContent('#presence-typing'), /e2e-agent typing/);
  await b.screenshot({ path: 'screenshots/28-presence-en.png' });
  await a.screenshot({ path: 'screenshots/29-presence-zh.png' });

  // B types a note for a move, then A approves the ticket: B's page says what changed, live.
  await b.fill('#move-note', 'Buyer will send it back today');
  await a.click('#move-approved summary');
  await a.click('#move-approved button[name="to"]');
  await a.waitForFunction(() => document.querySelector('.page-head .status')?.textContent.includes('已同意'));
  await b.waitForSelector('#live-changes li', { timeout: 3000 });
  assert.match(await b.textContent('#live-changes'), /changed since you opened it/);
  // B's move from the old page: refused as stale, what A did marked, B's note kept.
  await b.click('button[form="moves-form"]:not([data-confirm])');
  await b.waitForSelector('#ticket-body .flash-error');
  assert.match(await b.textContent('#ticket-body .flash-error'), /Someone changed this ticket just now/);
  assert.equal(await b.inputValue('#move-note'), 'Buyer will send it back today', 'the typed note is kept');
  assert.ok(await b.$('#timeline li.live-fresh'), 'what the other did is marked on the timeline');
  await b.screenshot({ path: 'screenshots/30-stale-move-what-changed-en.png', fullPage: true });

  // B watches their queue; the supervisor gives B A's other ticket from its page (reassigning
  // is a supervisor's move). Within 3 s, no reload: the row is in B's queue, B's bell counts it.
  await b.goto(`${BASE}/?view=mine`);
  await b.evaluate(() => { window.__noReload = true; });
  const before = Number((await b.$('#notice-count')) ? await b.textContent('#notice-count') : 0);
  const boss = await signedInPage('e2e-super', 'e2e-super-pass');
  await boss.goto(`${BASE}/tickets/${handed}`);
  const agent2 = await boss.$$eval('select[name="assignee"] option', (os) => os.find((o) => o.textContent.includes('e2e-agent2'))?.value);
  assert.ok(agent2, 'B is among the assignees');
  await boss.selectOption('select[name="assignee"]', agent2);
  const given = Date.now();
  await boss.click('form[action$="/assignment"] button[type=submit]:not([value])');
  await b.waitForSelector(`#queue-results tr[data-ticket="${handed}"]`, { timeout: 3000 });
  await b.waitForFunction((n) => Number(document.querySelector('#notice-count')?.textContent || 0) > n, before, { timeout: 3000 });
  assert.ok(Date.now() - given < 3000, `reached B in ${Date.now() - given} ms`);
  assert.equal(await b.evaluate(() => window.__noReload), true, 'B\'s page was not reloaded');
  await b.screenshot({ path: 'screenshots/31-live-queue-and-bell-en.png' });
  await boss.context().close();
  await b.click('#notices-link');
  await b.waitForURL(/\/notifications$/);
  assert.match(await b.textContent('#notices'), new RegExp(`e2e-super assigned ticket #${handed}`));
  await b.screenshot({ path: 'screenshots/32-notices-en.png', fullPage: true });
  await a.context().close();
  await b.context().close();
});

test('a supervisor links two tickets of one order, merges the duplicate, and filters the queue by a tag', async () => {
  const tok = await token('e2e-agent', 'e2e-agent-pass');
  const sup = await token('e2e-super', 'e2e-super-pass');
  const shop = await demoShop(tok);
  await order(tok, shop, 'E2E-9001', 2);
  const open = async (kind, reason) => {
    const created = await api('POST', `/api/v1/shops/${shop}/tickets`, tok, {
      kind, order_no: 'E2E-9001', reason, description: '同一订单', refund_fen: 3990,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body.id;
  };
  const first = await open('complaint', 'other');
  const duplicate = await open('complaint', 'other');
  const tag = await api('POST', `/api/v1/shops/${shop}/tags`, sup, { name: 'E2E重复', colour: 'orange' });
  assert.equal(tag.status, 201, JSON.stringify(tag.body));

  const page = await signedInPage('e2e-super', 'e2e-super-pass');
  page.on('dialog', (dialog) => dialog.accept());
  await page.goto(`${BASE}/tickets/${duplicate}`);
  await page.evaluate(() => { window.__noReload = true; });
  // Link, then tag, then merge: each answered in place.
  await page.selectOption('#link-to', String(first));
  await page.click('#link-form button[type=submit]');
  await page.waitForSelector(`#linked-tickets a[href="/tickets/${first}"]`);
  await page.selectOption('#tag-pick', String(tag.body.id));
  await page.click('#tag-form button[type=submit]');
  await page.waitForSelector('#ticket-tags .tag-orange');
  await page.click('#merge summary');
  await page.selectOption('#merge-into', String(first));
  await page.fill('#merge-note', '买家重复提交');
  await page.click('#merge-form button[type=submit]');
  await page.waitForSelector('#merged-into');
  assert.match(await page.textContent('#merged-into'), new RegExp(`#${first}`));
  assert.match(await page.textContent('#timeline'), /同一订单/, 'the merged ticket keeps its timeline');
  assert.equal(await page.evaluate(() => window.__noReload), true, 'the page was not reloaded');
  await page.screenshot({ path: 'screenshots/33-merged-ticket.png', fullPage: true });

  // The other ticket shows the link and the merge on its timeline.
  await page.goto(`${BASE}/tickets/${first}`);
  await page.waitForSelector(`#linked-tickets a[href="/tickets/${duplicate}"]`);
  assert.match(await page.textContent('#merged-from'), new RegExp(`#${duplicate}`));

  // Tag the first ticket from the queue's bulk bar, then filter the queue by the tag.
  await page.goto(`${BASE}/?view=all&q=E2E-9001`);
  await page.check(`input[name="ticket"][value="${first}"]`);
  await page.selectOption('#bulk-tags select[name="tag"]', String(tag.body.id));
  await Promise.all([page.waitForNavigation(), page.click('#bulk-tags button[type=submit]')]);
  assert.equal(await page.$('#bulk-tags-error'), null, await page.textContent('#queue-tagging'));
  await page.goto(`${BASE}/?view=all&tag=${tag.body.id}`);
  await page.waitForSelector(`a[href^="/tickets/${first}?from="]`);
  assert.equal(await page.$(`a[href^="/tickets/${duplicate}?from="]`), null, 'the merged ticket left the queue');
  await page.screenshot({ path: 'screenshots/34-queue-by-tag.png', fullPage: true });
  await page.context().close();
});

test('an agent finds a closed ticket by a word from its follow-up with the header box, in Chinese and in English', async () => {
  const tok = await token('e2e-agent', 'e2e-agent-pass');
  const shop = await demoShop(tok);
  await order(tok, shop, 'E2E-SEARCH-20261130', 2);
  const created = await api('POST', `/api/v1/shops/${shop}/tickets`, tok, {
    kind: 'refund', order_no: 'E2E-SEARCH-20261130', reason: 'quality', description: '袜子收到时外箱压扁', refund_fen: 3990,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  const said = await api('POST', `/api/v1/tickets/${id}/follow-ups`, tok, { channel: 'phone', summary: '买家说外箱破损，照片已收到，同意退款' });
  assert.equal(said.status, 201, JSON.stringify(said.body));
  let version = said.body.version ?? (await api('GET', `/api/v1/tickets/${id}`, tok)).body.version;
  for (const [to, extra] of [['approved', { refund_fen: 3990 }], ['refunded', {}], ['closed', {}]]) {
    const moved = await api('POST', `/api/v1/tickets/${id}/transitions`, tok, { to, version, ...extra });
    assert.equal(moved.status, 200, `${to}: ${JSON.stringify(moved.body)}`);
    version = moved.body.version;
  }

  // From the queue: / puts the cursor in the header's box; 破损 and Enter.
  const page = await signedInPage('e2e-agent', 'e2e-agent-pass', undefined, undefined, { width: 1280, height: 720 });
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'topsearch-q', '/ focuses the search box');
  await page.keyboard.type('破损');
  await Promise.all([page.waitForURL(/\/search\?q=/), page.keyboard.press('Enter')]);
  const hit = page.locator(`#search-results article[data-ticket="${id}"]`);
  await hit.waitFor();
  assert.match(await hit.textContent(), /已关闭/, 'the closed ticket is found');
  assert.equal(await hit.locator('mark').first().textContent(), '破损', 'the word is marked where it was found');
  assert.match(await hit.locator('.search-where').textContent(), /跟进/);
  await page.screenshot({ path: 'screenshots/37-search-closed-ticket.png' });
  // A word of its description (压扁) with one of its follow-up (照片) finds it too, and a word
  // it holds nowhere beside them does not.
  await page.goto(`${BASE}/search?q=${encodeURIComponent('压扁 照片')}`);
  await page.locator(`#search-results article[data-ticket="${id}"]`).waitFor();
  await page.goto(`${BASE}/search?q=${encodeURIComponent('压扁 照片 拦截')}`);
  await page.waitForSelector('#search-results');
  assert.equal(await page.locator(`#search-results article[data-ticket="${id}"]`).count(), 0, 'not a word it holds');
  await page.goto(`${BASE}/search?q=${encodeURIComponent('破损')}`);
  await hit.waitFor();
  await Promise.all([page.waitForURL(new RegExp(`/tickets/${id}$`)), hit.locator('a.search-hit-link').click()]);
  assert.match(await page.textContent('.page-head'), new RegExp(`#${id}`));
  assert.match(await page.textContent('#timeline'), /外箱破损/);

  // In English: only closed refunds, then a date typed wrong is explained beside its field,
  // the words kept.
  await page.click('.userbox .lang a:has-text("EN")');
  await page.goto(`${BASE}/search?q=${encodeURIComponent('破损')}&status=closed&kind=refund`);
  await page.locator(`#search-results article[data-ticket="${id}"]`).waitFor();
  assert.match(await page.textContent('#search-tickets'), /Found in|Follow-up/);
  await page.goto(`${BASE}/search?q=${encodeURIComponent('外箱 破损')}&from=2026-13-01`);
  await page.waitForSelector('#search-from-error');
  assert.match(await page.textContent('#search-from-error'), /year-month-day/);
  assert.equal(await page.inputValue('#search-q'), '外箱 破损', 'what was typed is kept');
  await page.screenshot({ path: 'screenshots/38-search-date-refused.png' });
  await page.context().close();
});

test('an agent asks for a payout above the limit, a supervisor approves it from the notice, the ledger and the buyer\'s file show it', async () => {
  const tok = await token('e2e-agent', 'e2e-agent-pass');
  const shop = await demoShop(tok);
  await order(tok, shop, 'E2E-7001', 2);
  const created = await api('POST', `/api/v1/shops/${shop}/tickets`, tok, {
    kind: 'complaint', order_no: 'E2E-7001', reason: 'quality', description: '袜子到货破损，买家不想退货，要求补偿',
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;

  const agent = await signedInPage('e2e-agent', 'e2e-agent-pass');
  await agent.goto(`${BASE}/tickets/${id}`);
  await agent.click('#ledger-new summary');
  // A wrong amount first: told next to the field, what was typed kept.
  await agent.selectOption('#ledger-method', 'payout');
  await agent.selectOption('#ledger-reason', 'damage');
  await agent.fill('#ledger-amount', '八十');
  await agent.fill('#ledger-note', '破损补偿，买家保留商品');
  await agent.click('#ledger-submit');
  await agent.waitForSelector('#ledger-amount-error');
  assert.equal(await agent.textContent('#ledger-amount-error'), '请填写金额（元），例如 30 或 30.50。');
  assert.equal(await agent.inputValue('#ledger-amount'), '八十');
  assert.equal(await agent.inputValue('#ledger-note'), '破损补偿，买家保留商品');
  assert.equal(await agent.inputValue('#ledger-reason'), 'damage');
  // ¥80 is over the shop's ¥50 an entry: it waits for a supervisor.
  await agent.fill('#ledger-amount', '80');
  await agent.click('#ledger-submit');
  await agent.waitForSelector('#ticket-body .flash-ok');
  assert.match(await agent.textContent('#ticket-body .flash-ok'), /超出限额，已提交主管审批/);
  assert.match(await agent.textContent('#ledger-entries'), /待审批/);
  assert.match(await agent.textContent('#ledger-entries'), /单笔限额/);
  assert.equal(await agent.locator('#ledger-entries button[id^="approve-"]').count(), 0, 'the maker cannot approve it');
  await agent.context().close();

  const supervisor = await signedInPage('e2e-super', 'e2e-super-pass');
  await supervisor.goto(`${BASE}/notifications`);
  const notice = supervisor.locator('#notices li', { hasText: '等你审批' }).first();
  assert.match(await notice.textContent(), /¥80\.00/);
  await supervisor.screenshot({ path: 'screenshots/39-compensation-notice.png' });
  await Promise.all([supervisor.waitForURL(new RegExp(`/tickets/${id}$`)), notice.locator('.notice-open').click()]);
  await supervisor.fill('#ledger-entries input[name="entry_note"]', '破损属实，同意');
  await supervisor.click('#ledger-entries button[id^="approve-"]');
  await supervisor.waitForSelector('#ticket-body .flash-ok');
  assert.match(await supervisor.textContent('#ticket-body .flash-ok'), /已批准并入账/);
  assert.match(await supervisor.textContent('#ledger-entries'), /已入账/);
  assert.match(await supervisor.textContent('#ledger-entries'), /批准 · 破损属实，同意/);
  assert.match(await supervisor.textContent('#ledger-balance'), /¥80\.00/);
  await cardInView(supervisor, '#ledger');
  await supervisor.screenshot({ path: 'screenshots/40-ticket-ledger.png' });

  // The buyer's file, in English: the compensation beside the refunds.
  await supervisor.click('.lang a:has-text("EN")');
  await supervisor.waitForSelector('html[lang="en"]');
  await supervisor.goto(`${BASE}/tickets/${id}/buyer`);
  assert.match(await supervisor.textContent('main'), /Compensation \(net\)/);
  assert.match(await supervisor.textContent('#buyer-compensation'), /¥80\.00/);
  await supervisor.screenshot({ path: 'screenshots/41-buyer-compensation-en.png', fullPage: true });
  await supervisor.goto(`${BASE}/tickets/${id}`);
  assert.match(await supervisor.textContent('#ledger'), /Compensation ledger/);
  assert.match(await supervisor.textContent('#ledger-entries'), /Approved by/);
  await supervisor.context().close();
});

test('a return received as 1 good + 1 defective shows in the returns warehouse; an imported refund the desk never decided shows on the reconciliation', async () => {
  const tok = await token('e2e-agent', 'e2e-agent-pass');
  const shop = await demoShop(tok);
  const signed = daysAgo(2);
  for (const orderNo of ['E2E-8001', 'E2E-8002']) {
    const answer = await api('PUT', `/api/v1/shops/${shop}/orders/${orderNo}`, tok, {
      buyer: 'e2e_退货买家', paid_at: daysAgo(5), shipped_at: daysAgo(4), signed_at: signed,
      lines: [{ sku: 'E2E-CUP', title: '测试商品 陶瓷马克杯 两只装', category: '家居', quantity: 2, unit_price_fen: 4500 }],
    });
    assert.ok(answer.status === 200 || answer.status === 201, JSON.stringify(answer.body));
  }
  const created = await api('POST', `/api/v1/shops/${shop}/tickets`, tok, {
    kind: 'return', order_no: 'E2E-8001', sku: 'E2E-CUP', reason: 'quality', description: '杯子有裂纹，两只都退', refund_fen: 9000,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;

  const agent = await signedInPage('e2e-agent', 'e2e-agent-pass');
  await agent.goto(`${BASE}/tickets/${id}`);
  await agent.click('#receipt-new summary');
  await agent.fill('#receipt-stock_returned', '2');
  await agent.fill('#receipt-stock_good', '1');
  await agent.fill('#receipt-stock_defective', '0');
  await agent.fill('#receipt-note', '一只杯口有裂纹');
  await agent.click('#receipt-submit');
  await agent.waitForSelector('#receipt-stock_missing-error');
  assert.equal(await agent.textContent('#receipt-stock_missing-error'), '良品、次品、缺件加起来要等于退回数量。');
  assert.equal(await agent.inputValue('#receipt-stock_good'), '1');
  assert.equal(await agent.inputValue('#receipt-note'), '一只杯口有裂纹');
  await agent.fill('#receipt-stock_defective', '1');
  await agent.click('#receipt-submit');
  await agent.waitForSelector('#ticket-body .flash-ok');
  assert.match(await agent.textContent('#receipts'), /E2E-CUP：退回 2，良品 1，次品 1，缺件 0/);
  await cardInView(agent, '#stock');
  await agent.screenshot({ path: 'screenshots/42-ticket-goods-received.png' });

  await agent.click('nav a[href="/returns/stock"]');
  await agent.waitForURL(/\/returns\/stock/);
  const row = agent.locator('#returns-stock tr[data-sku="E2E-CUP"]');
  assert.equal(await row.locator('.stock-good').textContent(), '1');
  assert.equal(await row.locator('.stock-defective').textContent(), '1');
  await agent.screenshot({ path: 'screenshots/43-returns-stock.png', fullPage: true });
  await agent.context().close();

  // The admin imports the platform's refund export: E2E-8002 was refunded by the platform's
  // automation without anyone deciding in the desk.
  const day = new Date(Date.now() - 86400000 + 8 * 3600000).toISOString().slice(0, 10);
  const csv = '订单编号,退款编号,商品编码,买家退款金额,手工退款/系统退款,售后类型,退款的申请时间,退款状态,买家退款原因,完结时间,审核操作人,退款操作人,智能退款策略,执行方案\n'
    + `E2E-8002,E2E-R-8002,E2E-CUP,45.00,系统退款,仅退款,${day} 10:00:00,退款成功,质量问题,${day} 10:05:00,,系统,极速退款,自动同意退款\n`;
  const admin = await signedInPage('e2e-admin', 'e2e-admin-pass');
  await admin.goto(`${BASE}/import`);
  await admin.selectOption('#import-shop', String(shop));
  await admin.selectOption('#import-kind', 'refunds');
  await admin.setInputFiles('#import-file', { name: 'refunds.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
  await admin.click('form[action^="/import"] button[type=submit]');
  await admin.waitForSelector('#import-result[data-state="done"]', { timeout: 30000 });
  await admin.click('.lang a:has-text("EN")');
  await admin.waitForSelector('html[lang="en"]');
  await admin.goto(`${BASE}/reconciliation?shop=${shop}`);
  assert.match(await admin.textContent('#platform-only'), /E2E-R-8002/);
  assert.match(await admin.textContent('#platform-only'), /极速退款/);
  assert.match(await admin.textContent('#platform-only h2'), /Refunded by the platform, no decision in the desk/);
  await admin.screenshot({ path: 'screenshots/44-reconciliation-en.png', fullPage: true });
  await admin.context().close();
});

test('an agent on a quality ticket inserts the SKU note\'s fix into a follow-up and marks it solved; the owner\'s report counts it', async () => {
  const tok = await token('e2e-agent', 'e2e-agent-pass');
  const shop = await demoShop(tok);
  const answer = await api('PUT', `/api/v1/shops/${shop}/orders/E2E-9001`, tok, {
    buyer: 'e2e_耳机买家', paid_at: daysAgo(6), shipped_at: daysAgo(5), signed_at: daysAgo(3),
    lines: [{ sku: 'E2E-EAR', title: '测试商品 蓝牙耳机 黑色', category: '数码', quantity: 1, unit_price_fen: 19900 }],
  });
  assert.ok(answer.status === 200 || answer.status === 201, JSON.stringify(answer.body));
  const created = await api('POST', `/api/v1/shops/${shop}/tickets`, tok, {
    kind: 'complaint', order_no: 'E2E-9001', sku: 'E2E-EAR', reason: 'quality', description: '左耳机没有声音',
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;

  // The supervisor writes the note on the knowledge page; a missing title is said beside it
  // (the refused form answers 422, which the browser logs).
  const expected = { allow: /status of 422/, seen: [] };
  const supervisor = await signedInPage('e2e-super', 'e2e-super-pass', undefined, expected);
  await supervisor.goto(`${BASE}/knowledge?shop=${shop}`);
  await supervisor.selectOption('#note-scope', 'sku');
  await supervisor.fill('#note-subject', 'E2E-EAR');
  await supervisor.selectOption('#note-kind', 'known_issue');
  await supervisor.fill('#note-body', '左耳机不响多数是配对错乱，不是坏了。');
  await supervisor.fill('#note-fix', '请买家把两只耳机放回充电仓，长按仓上按键 10 秒重置，再重新配对。');
  await supervisor.click('#note-submit');
  await supervisor.waitForSelector('#note-title-error');
  assert.equal(await supervisor.textContent('#note-title-error'), '请填写。');
  assert.equal(await supervisor.inputValue('#note-subject'), 'E2E-EAR');
  assert.match(await supervisor.inputValue('#note-fix'), /长按仓上按键 10 秒重置/);
  await supervisor.fill('#note-title', '左耳机不响：重置配对');
  await Promise.all([supervisor.waitForURL(/\/knowledge\/notes\/\d+\?done=saved/), supervisor.click('#note-submit')]);
  assert.equal(expected.seen.length, 1, 'the one refused save');
  await supervisor.context().close();

  const agent = await signedInPage('e2e-agent', 'e2e-agent-pass');
  await agent.goto(`${BASE}/tickets/${id}`);
  const note = agent.locator('#knowledge-notes li', { hasText: '左耳机不响：重置配对' });
  assert.match(await note.textContent(), /已知问题/);
  await note.locator('button[id^="insert-note-"]').click();
  assert.equal(await agent.inputValue('#summary'), '请买家把两只耳机放回充电仓，长按仓上按键 10 秒重置，再重新配对。');
  await agent.selectOption('#channel', 'chat');
  await agent.click('#follow-up-form button[type=submit]');
  await agent.waitForSelector('#ticket-body .flash-ok');
  assert.match(await agent.textContent('#timeline'), /长按仓上按键 10 秒重置/);
  await agent.locator('#knowledge-notes li', { hasText: '左耳机不响：重置配对' }).locator('button[id^="solved-note-"]').click();
  await agent.waitForSelector('.note-solved-here');
  assert.match(await agent.textContent('#ticket-body .flash-ok'), /这条说明解决了本工单/);
  assert.match(await agent.textContent('#knowledge'), /已解决 1 个工单/);
  await cardInView(agent, '#knowledge');
  await agent.screenshot({ path: 'screenshots/45-ticket-knowledge.png' });
  await agent.context().close();

  // The owner's report, in English: the SKU's return rate beside its note and the ticket it solved.
  const owner = await signedInPage('e2e-owner', 'e2e-owner-pass');
  await owner.click('.lang a:has-text("EN")');
  await owner.waitForSelector('html[lang="en"]');
  // The ticket is counted by the background recount within a minute: look again until it is.
  let cells = [];
  for (let i = 0; i < 20 && cells.length === 0; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 3000));
    await owner.goto(`${BASE}/reports?shop=${shop}`);
    const row = owner.locator('#report-knowledge tr', { hasText: 'E2E-EAR' });
    if (await row.count() > 0) cells = await row.first().locator('td').allTextContents();
  }
  assert.match(await owner.textContent('#report-knowledge h2'), /Return rate and product notes per SKU/);
  assert.deepEqual(cells.slice(-2), ['1', '1'], JSON.stringify(cells));
  await owner.evaluate(() => {
    const row = [...document.querySelectorAll('#report-knowledge tr')].find((r) => r.textContent.includes('E2E-EAR'));
    window.scrollTo(0, Math.max(0, row.getBoundingClientRect().top + window.scrollY - 400));
  });
  await owner.screenshot({ path: 'screenshots/46-report-knowledge-en.png' });
  await owner.context().close();
});

test('at 1280 px the header shows every menu item whole, in Chinese and in English, to the admin who has the most', async () => {
  const page = await signedInPage('e2e-admin', 'e2e-admin-pass', undefined, undefined, { width: 1280, height: 720 });
  // What of the header does not fit: menu items cut by the menu's edge, and the user box past the window's.
  const cut = () => page.evaluate(() => {
    const nav = document.querySelector('nav.mainnav');
    const edge = nav.getBoundingClientRect().right;
    const items = [...nav.querySelectorAll('a')]
      .filter((a) => a.getBoundingClientRect().right > edge + 0.5)
      .map((a) => a.textContent.trim());
    const box = document.querySelector('header .userbox').getBoundingClientRect().right;
    return box > window.innerWidth + 0.5 ? [...items, 'user box'] : items;
  });
  for (const path of ['/?view=mine', '/reports', '/admin']) {
    await page.goto(BASE + path);
    assert.deepEqual(await cut(), [], `Chinese, ${path}`);
  }
  await page.click('.lang a:has-text("EN")');
  await page.waitForSelector('html[lang="en"]');
  assert.equal(await page.locator('nav.mainnav a').count(), 10, 'every menu item of an admin');
  for (const path of ['/?view=mine', '/reports', '/admin']) {
    await page.goto(BASE + path);
    assert.deepEqual(await cut(), [], `English, ${path}`);
  }
  // And at wider windows, where the header's spacing changes (1360, 1440 px) and the product's
  // name comes back (above 1760 px).
  for (const width of [1366, 1440, 1600, 1920]) {
    await page.setViewportSize({ width, height: 720 });
    assert.deepEqual(await cut(), [], `English, ${width} px`);
  }
  assert.ok(await page.locator('header .brand-name').isVisible(), 'the name beside the menu at 1920 px');
  await page.setViewportSize({ width: 1280, height: 720 });
  assert.ok(await page.locator('header .brand-name').isHidden(), 'the name given way to the menu at 1280 px');
  // The name on the home link is still read out where it is not shown.
  assert.equal(await page.getByRole('link', { name: 'Aftersales Desk' }).count(), 1);
  await page.screenshot({ path: 'screenshots/47-header-1280-en.png', clip: { x: 0, y: 0, width: 1280, height: 120 } });
  await page.context().close();
  // Signed out there is no menu: the header keeps the name at 1280 px.
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const signedOut = await context.newPage();
  await signedOut.goto(BASE + '/login');
  assert.ok(await signedOut.locator('header .brand-name').isVisible(), 'the name in the sign-in page\'s header');
  await context.close();
});
