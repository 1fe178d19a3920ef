// Headless Chromium (Debian's package) driven by playwright-core: what a real
// browser does with downloadview's answers. Run by run.sh:
//   node chromium.mjs http://127.0.0.1:PORT /path/to/empty/dir
// Prints one "PASS name" / "FAIL name: why" line per check; exits 0.
import { chromium } from 'playwright-core';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [base, workDir] = process.argv.slice(2);
const HELLO = 'Hello world!\n';

function report(name, ok, why) {
  console.log(ok ? `PASS ${name}` : `FAIL ${name}: ${why}`);
}

async function check(name, fn) {
  try {
    const why = await fn();
    report(name, !why, why);
  } catch (err) {
    report(name, false, String(err && err.message || err).split('\n')[0]);
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
  // playwright-core gives the browser a fresh, temporary --user-data-dir.
  timeout: 60000,
});

try {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(`${base}/`);

  // Clicks a plain link (no `download` attribute): only Content-Disposition
  // decides that it is a download, and what it is called.
  async function download(path) {
    const [dl] = await Promise.all([
      page.waitForEvent('download', { timeout: 15000 }),
      page.evaluate((href) => {
        const a = document.createElement('a');
        a.href = href;
        document.body.append(a);
        a.click();
        a.remove();
      }, path),
    ]);
    const dir = mkdtempSync(join(workDir, 'dl-'));
    const suggested = dl.suggestedFilename();
    await dl.saveAs(join(dir, suggested));
    const failure = await dl.failure();
    const saved = readdirSync(dir);
    const body = saved.length === 1 ? readFileSync(join(dir, saved[0]), 'utf8') : null;
    return { suggested, saved, body, failure };
  }

  function expectDownload(got, name) {
    if (got.failure) return `download failed: ${got.failure}`;
    if (got.suggested !== name) return `suggestedFilename ${JSON.stringify(got.suggested)}, expected ${JSON.stringify(name)}`;
    if (got.saved.length !== 1 || got.saved[0] !== name) return `saved as ${JSON.stringify(got.saved)}`;
    if (got.body !== HELLO) return `content ${JSON.stringify(got.body)}`;
    return null;
  }

  await check('chromium: /unicode/ downloads as "café résumé.txt" (filename* used, not the fallback)', async () =>
    expectDownload(await download('/unicode/'), 'café résumé.txt'));

  // Emoji, combining-free accents, an apostrophe, a percent sign and a
  // semicolon all survive. Chromium itself replaces `"` (and other characters
  // illegal in file names on some OS: \ / : * ? < > |) with `_` whatever the
  // server sends, so the quotes are checked separately below.
  const fancy = '😀 naïve l\'été; 100% (v2) — ü.txt';
  await check(`chromium: /named/ downloads as ${JSON.stringify(fancy)}`, async () =>
    expectDownload(await download(`/named/${encodeURIComponent(fancy)}`), fancy));

  const quoted = '😀 "quoted" name.txt';
  await check(`chromium: /named/${JSON.stringify(quoted)} keeps the emoji; quotes become _ (Chromium's own rule)`, async () =>
    expectDownload(await download(`/named/${encodeURIComponent(quoted)}`), '😀 _quoted_ name.txt'));

  await check('chromium: /text/ downloads as hello-world.txt', async () =>
    expectDownload(await download('/text/'), 'hello-world.txt'));

  await check('chromium: /inline/ is displayed, not downloaded', async () => {
    let downloaded = false;
    const onDownload = () => { downloaded = true; };
    page.on('download', onDownload);
    const res = await page.goto(`${base}/inline/`);
    await page.waitForTimeout(1000);
    page.off('download', onDownload);
    if (downloaded) return 'a download started';
    if (!res || res.status() !== 200) return `status ${res && res.status()}`;
    const text = await page.evaluate(() => document.body.innerText);
    if (text.trim() !== HELLO.trim()) return `page shows ${JSON.stringify(text)}`;
    const disposition = res.headers()['content-disposition'];
    if (disposition !== 'inline; filename="hello-world.txt"') return `disposition ${disposition}`;
    return null;
  });

  await context.close();
} finally {
  await browser.close();
}
