/**
 * The answer renderer in real headless Chromium, without a stack: model HTML shows as text with
 * nothing after it lost (issue 14.3), an answer streamed in small deltas — through long open
 * fences and tables, which render incrementally (14.10) — ends as exactly the DOM a full render
 * gives, task lists keep read-only checkboxes, lists, wide tables and the typing cursor look right
 * (issue 15), and screenshots of a long answer at phone width land in test-output/.
 */
import type { Browser, Page } from 'playwright-core';
import { launch, screenshot } from './lib/browser';
import { openRenderPage } from './lib/render-page';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

interface Rendered {
  /** innerHTML after streaming `text` in the given deltas (rendering after each) and finishing. */
  streamed: string;
  /** innerHTML of the same text rendered at once. */
  full: string;
}

/** Streams `text` into a fresh renderer in deltas of the given sizes (cycled), then renders it at once for comparison. */
function streamAndCompare(page: Page, text: string, sizes: number[]): Promise<Rendered> {
  return page.evaluate(async ([t, s]) => {
    const w = window as any;
    await w.loadHighlighter();
    const cursor = document.createElement('span');
    cursor.className = 'typing';
    const md = new w.StreamingMarkdown(() => undefined, cursor);
    const bubble = document.getElementById('bubble')!;
    bubble.replaceChildren(md.element, cursor);
    for (let i = 0, k = 0; i < t.length; k++) {
      const n = s[k % s.length];
      md.append(t.slice(i, i + n));
      md.flush();
      i += n;
    }
    md.finish();
    const streamed = md.element.innerHTML;
    const whole = new w.StreamingMarkdown();
    whole.replace(t, true);
    return { streamed, full: whole.element.innerHTML };
  }, [text, sizes] as const);
}

/** Renders `text` at once (final) into the page's answer and returns nothing; inspect with locators. */
async function renderFinal(page: Page, text: string): Promise<void> {
  await page.evaluate(async (t) => {
    const w = window as any;
    await w.loadHighlighter();
    const md = new w.StreamingMarkdown();
    document.getElementById('bubble')!.replaceChildren(md.element);
    md.replace(t, true);
  }, text);
}

const SCRIPT_ANSWER = [
  '<script> 태그 안에 자바스크립트를 씁니다.',
  '브라우저는 </script> 를 만나면 스크립트를 끝냅니다.',
  '',
  '**굵게** 그리고 `<style>` 코드 스팬.',
  '',
  '- <template> 요소와 <iframe src="https://evil.example"> 요소',
  '- <xmp> 와 <plaintext> 는 옛 요소입니다',
  '- <textarea>입력</textarea> 와 <title>제목</title>',
  '',
  '```html',
  '<script>alert(1)</script>',
  '<style>body { display: none }</style>',
  '```',
  '',
  '<style>',
  '마지막 줄: 여기까지 보여야 합니다.',
].join('\n');

const RAW_TAGS = 'script, style, template, iframe, xmp, plaintext, textarea, title, input, img';

describe('model HTML (issue 14.3)', () => {
  test('tags in a Korean answer show as text, nothing after them is lost, and Markdown still renders', async () => {
    const page = await openRenderPage(browser);
    await renderFinal(page, SCRIPT_ANSWER);
    const md = page.locator('#bubble .markdown');
    const text = await md.innerText();
    for (const line of [
      '<script> 태그 안에 자바스크립트를 씁니다.',
      '브라우저는 </script> 를 만나면 스크립트를 끝냅니다.',
      '<template> 요소와 <iframe src="https://evil.example"> 요소',
      '<xmp> 와 <plaintext> 는 옛 요소입니다',
      '<textarea>입력</textarea> 와 <title>제목</title>',
      '<style>',
      '마지막 줄: 여기까지 보여야 합니다.',
    ]) expect(text).toContain(line);
    expect(await md.locator(RAW_TAGS).count()).toBe(0);
    expect(await md.locator('strong').allInnerTexts()).toEqual(['굵게']);
    expect(await md.locator(':not(pre) > code').allInnerTexts()).toEqual(['<style>']);
    expect(await md.locator('li').count()).toBe(3);
    expect(await md.locator('pre code').textContent()).toBe('<script>alert(1)</script>\n<style>body { display: none }</style>\n');
    await page.context().close();
  });

  test('the same answer streamed in small deltas ends as the same DOM', async () => {
    const page = await openRenderPage(browser);
    const { streamed, full } = await streamAndCompare(page, SCRIPT_ANSWER, [1, 2, 3, 5, 8]);
    expect(streamed).toBe(full);
    expect(streamed).toContain('마지막 줄');
    await page.context().close();
  });
});

/** A 2,000-line fenced code block in the middle of an answer. */
function longFence(lines: number): string {
  const body = Array.from({ length: lines }, (_, i) => `  const value${i} = compute(${i}, "문자열 ${i}"); // line ${i}`);
  return `코드입니다:\n\n\`\`\`ts\n${body.join('\n')}\n\`\`\`\n\n끝.\n`;
}

/** A table with `rows` rows, including rows that start like other blocks until their line is complete. */
function longTable(rows: number): string {
  const body = Array.from({ length: rows }, (_, i) => (i % 97 === 5 ? `#${i} | 제목 같은 행 | x |` : i % 89 === 7 ? `-${i} | 목록 같은 행 | y |` : `| ${i} | 값 **${i}** | \`c${i}\` |`));
  return `표입니다:\n\n| 번호 | 내용 | 코드 |\n|---:|:---|---|\n${body.join('\n')}\n\n표 뒤의 문단.\n`;
}

describe('long open blocks (issue 14.10)', () => {
  test('a 2,000-line fence streamed line by line ends as a full render, keeping lines already shown', async () => {
    const page = await openRenderPage(browser);
    const text = longFence(2000);
    const { streamed, full } = await streamAndCompare(page, text, [7, 13, 29, 61]);
    expect(streamed).toBe(full);
    // While open, earlier lines are kept, not rebuilt: the first piece is the same node later.
    const kept = await page.evaluate((t) => {
      const w = window as any;
      const md = new w.StreamingMarkdown();
      document.getElementById('bubble')!.replaceChildren(md.element);
      const half = t.indexOf('line 1000');
      md.append(t.slice(0, half));
      md.flush();
      const first = md.element.querySelector('.md-live pre code > span');
      md.append(t.slice(half, t.indexOf('line 1500')));
      md.flush();
      const code = md.element.querySelector('.md-live pre code')!;
      return { same: code.firstElementChild === first, hasLine999: code.textContent!.includes('line 999'), lang: md.element.querySelector('.code-lang')?.textContent };
    }, text);
    expect(kept).toEqual({ same: true, hasLine999: true, lang: 'ts' });
    await page.context().close();
  });

  test('a 2,000-row table streamed in small deltas ends as a full render, rows shown once', async () => {
    const page = await openRenderPage(browser);
    const text = longTable(2000);
    const { streamed, full } = await streamAndCompare(page, text, [1, 3, 7, 19, 41]);
    expect(streamed).toBe(full);
    expect(full).toContain('#102');
    const kept = await page.evaluate((t) => {
      const w = window as any;
      const md = new w.StreamingMarkdown();
      document.getElementById('bubble')!.replaceChildren(md.element);
      md.append(t.slice(0, t.indexOf('| 1000 |') + 4));
      md.flush();
      const rows = md.element.querySelectorAll('.md-live tbody tr');
      const first = rows[0];
      md.append(t.slice(t.indexOf('| 1000 |') + 4, t.indexOf('| 1500 |')));
      md.flush();
      const after = md.element.querySelectorAll('.md-live tbody tr');
      return { before: rows.length, same: after[0] === first, after: after.length };
    }, text);
    // Rows 0..999 plus the partial row "| 10"; then rows 0..1499.
    expect(kept).toEqual({ before: 1001, same: true, after: 1500 });
    await page.context().close();
  });

  test('a big open table rendered at a bounded rate still shows every row that arrived, without finish()', async () => {
    const page = await openRenderPage(browser);
    const text = longTable(1200).replace('\n\n표 뒤의 문단.\n', '\n');
    await page.evaluate(async (t) => {
      const w = window as any;
      const md = new w.StreamingMarkdown();
      w.md = md;
      document.getElementById('bubble')!.replaceChildren(md.element);
      for (let i = 0; i < t.length; i += 400) {
        md.append(t.slice(i, i + 400));
        await new Promise((r) => requestAnimationFrame(r));
      }
    }, text);
    // Above 500 rows renders are spaced out; the last delta must still show within a few frames.
    await page.waitForFunction(() => document.querySelectorAll('#bubble .md-live tbody tr').length === 1200);
    await page.context().close();
  });

  test('a 5,000-row table streamed in larger deltas ends as a full render', async () => {
    const page = await openRenderPage(browser);
    const { streamed, full } = await streamAndCompare(page, longTable(5000), [97, 211, 53]);
    expect(streamed).toBe(full);
    await page.context().close();
  });

  test('a row that starts like a heading or a list item stays in its table when streamed a character at a time', async () => {
    const page = await openRenderPage(browser);
    const text = '| a | b |\n|---|---|\n| 1 | 2 |\n#3 | 헤딩 아님 |\n-4 | 목록 아님 |\n\n~~~\n열린 울타리\n~~~\n\n- [x] 끝\n';
    const { streamed, full } = await streamAndCompare(page, text, [1]);
    expect(streamed).toBe(full);
    expect(full.match(/<tr>/g)).toHaveLength(4);
    await page.context().close();
  });
});

describe('how answers look (issue 15)', () => {
  test('task lists keep read-only checkboxes, and no other input gets through', async () => {
    const page = await openRenderPage(browser);
    await renderFinal(page, '- [ ] 할 일\n- [x] 끝난 일\n  - [X] 중첩\n\n1. [x] 번호\n\n<input type="text" value="모델"> <input type="checkbox">\n');
    const md = page.locator('#bubble .markdown');
    const boxes = await md.locator('input').evaluateAll((els) => els.map((e) => ({
      type: (e as HTMLInputElement).type,
      disabled: (e as HTMLInputElement).disabled,
      checked: (e as HTMLInputElement).checked,
      attrs: e.getAttributeNames().sort().join(' '),
      li: e.closest('li')?.firstChild?.nextSibling?.textContent?.trim(),
    })));
    expect(boxes).toEqual([
      { type: 'checkbox', disabled: true, checked: false, attrs: 'disabled type', li: '할 일' },
      { type: 'checkbox', disabled: true, checked: true, attrs: 'checked disabled type', li: '끝난 일' },
      { type: 'checkbox', disabled: true, checked: true, attrs: 'checked disabled type', li: '중첩' },
      { type: 'checkbox', disabled: true, checked: true, attrs: 'checked disabled type', li: '번호' },
    ]);
    expect(await md.innerText()).toContain('<input type="text" value="모델"> <input type="checkbox">');
    // A task item shows its checkbox instead of a bullet.
    expect(await md.locator('li').first().evaluate((li) => getComputedStyle(li).listStyleType)).toBe('none');
    await page.context().close();
  });

  test('top-level bullets are discs even though the message list is an <ol>; nested ones circles', async () => {
    const page = await openRenderPage(browser);
    await renderFinal(page, '- 하나\n  - 둘\n    - 셋\n\n1. 첫째\n   - 안쪽\n');
    const styles = await page.locator('#bubble .markdown').evaluate((root) => Array.from(root.querySelectorAll('ul, ol'))
      .map((l) => `${l.localName}:${getComputedStyle(l).listStyleType}`));
    expect(styles).toEqual(['ul:disc', 'ul:circle', 'ul:square', 'ol:decimal', 'ul:circle']);
    await page.context().close();
  });

  test('the typing cursor sits at the end of the text while streaming, in a paragraph, a table or code', async () => {
    const page = await openRenderPage(browser);
    const where = await page.evaluate(() => {
      const w = window as any;
      const cursor = document.createElement('span');
      cursor.className = 'typing';
      const md = new w.StreamingMarkdown(() => undefined, cursor);
      document.getElementById('bubble')!.replaceChildren(md.element, cursor);
      const seen: string[] = [];
      const at = () => {
        const p = cursor.parentElement!;
        seen.push(`${p.localName}:${p.lastChild === cursor}:${(p.textContent ?? '').slice(-5)}`);
      };
      for (const part of ['첫 문단입니다.\n\n둘째 문단이 흐르는 중', '\n\n| a | b |\n|---|---|\n| 1 | 셀 끝', ' |\n\n```py\nprint(1)']) {
        md.append(part);
        md.flush();
        at();
      }
      md.finish();
      seen.push(String(cursor.parentElement === document.getElementById('bubble')));
      return seen;
    });
    expect(where).toEqual(['p:true:흐르는 중', 'td:true:셀 끝', 'code:true:nt(1)', 'true']);
    await page.context().close();
  });

  test('a wide table scrolls sideways at phone width instead of crushing its columns (screenshots, light and dark)', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await openRenderPage(browser, { viewport: { width: 375, height: 740 }, colorScheme, deviceScaleFactor: 2 });
      const header = '| 지역 | 서비스 | 요청 수 | 평균 지연 | 오류율 | 비고 |\n|---|---|---:|---:|---:|---|\n';
      const rows = ['| 서울 | 채팅 | 12,345 | 320 ms | 0.1% | 정상 운영 중 |', '| 도쿄 | 기록 조회 | 4,210 | 410 ms | 0.4% | 캐시 적중률 낮음 |', '| 버지니아 | 인증 | 980 | 95 ms | 0.0% | — |'];
      const answer = '## 리전별 현황\n\n아래 표는 **지난 24시간** 동안의 요청을 정리한 것입니다.\n\n'
        + `${header}${rows.join('\n')}\n\n- 서울 리전이 가장 많습니다\n- [x] 알람 확인\n- [ ] 비용 검토\n\n\`\`\`ts\nconst regions = ['ap-northeast-2', 'ap-northeast-1'];\n\`\`\`\n`;
      await renderFinal(page, answer);
      const table = await page.evaluate(() => {
        const wrap = document.querySelector('#bubble .table-wrap')!;
        const messages = document.getElementById('messages')!;
        const lineHeight = parseFloat(getComputedStyle(document.querySelector('#bubble th')!).lineHeight);
        return {
          scrollsSideways: wrap.scrollWidth > wrap.clientWidth,
          pageOverflows: messages.scrollWidth > messages.clientWidth,
          tallestHeaderLines: Math.max(...Array.from(document.querySelectorAll('#bubble th'), (th) => Math.round((th as HTMLElement).getBoundingClientRect().height / lineHeight))),
        };
      });
      // Header cells are one line (~1 line + padding), not one word or syllable per line.
      expect(table).toEqual({ scrollsSideways: true, pageOverflows: false, tallestHeaderLines: expect.any(Number) });
      expect(table.tallestHeaderLines).toBeLessThanOrEqual(1);
      await screenshot(page, `answer-table-phone-${colorScheme}.png`);
      await page.context().close();
    }
  });
});

describe('lazy highlighting (issue 13.6)', () => {
  test('a code block rendered before highlight.js arrived is highlighted when it does', async () => {
    const page = await openRenderPage(browser);
    const before = await page.evaluate(() => {
      const w = window as any;
      const md = new w.StreamingMarkdown();
      document.getElementById('bubble')!.replaceChildren(md.element);
      md.replace('```js\nconst a = 1;\n```\n', true);
      return md.element.querySelector('code')!.className;
    });
    expect(before).toBe('language-js');
    await page.locator('#bubble code.hljs .hljs-keyword', { hasText: 'const' }).waitFor();
    await page.context().close();
  });

  test('a fence still streaming when highlight.js arrives keeps showing new lines', async () => {
    const page = await openRenderPage(browser);
    const shown = await page.evaluate(async () => {
      const w = window as any;
      const md = new w.StreamingMarkdown();
      document.getElementById('bubble')!.replaceChildren(md.element);
      md.append('```js\nconst first = 1;\n');
      md.flush();
      const highlighted = md.element.querySelector('code .hljs-keyword') !== null;
      await w.loadHighlighter();
      md.append('const second = 2;\n');
      md.flush();
      return { highlighted, text: md.element.querySelector('code')!.textContent, keywords: md.element.querySelectorAll('code .hljs-keyword').length };
    });
    expect(shown).toEqual({ highlighted: false, text: 'const first = 1;\nconst second = 2;\n', keywords: 2 });
    await page.context().close();
  });
});
