import { chromium } from 'playwright-core';
const BASE = 'http://127.0.0.1:18080';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const who = { supervisor: 'demo-supervisor', admin: 'demo-admin', agent1: 'demo-agent1', owner: 'demo-owner' };
const shots = [
  ['supervisor', '/follow-ups', 'risk'], ['admin', '/admin/users', 'users'], ['admin', '/admin', 'admin'],
  ['agent1', '/', 'queue'], ['owner', '/reports', 'reports'], ['supervisor', '/notifications', 'notices'],
];
for (const lang of ['zh', 'en']) for (const width of [1280, 1440]) {
  for (const [login, path, name] of shots) {
    const ctx = await browser.newContext({ viewport: { width, height: 900 } });
    const page = await ctx.newPage();
    page.on('console', (m) => { if (m.type() === 'error') console.log('CONSOLE', login, path, m.text()); });
    await page.goto(BASE + '/login');
    await page.fill('#login', login); await page.fill('#password', who[login]);
    await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('button[type=submit]')]);
    if (lang === 'en') { await page.click('.userbox .lang a:has-text("EN")'); await page.waitForLoadState(); }
    await page.goto(BASE + path);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 0) console.log('OVERFLOW', lang, width, name, overflow);
    await page.screenshot({ path: `/tmp/as-manual/${name}-${lang}-${width}.png` });
    await ctx.close();
  }
}
await browser.close();
console.log('done');
