/** Browser side of the rendering tests: the client's own Markdown renderer, on `window`. */
import { loadHighlighter } from '../../../src/client/highlight';
import { initLang } from '../../../src/client/i18n';
import { StreamingMarkdown } from '../../../src/client/markdown';

// The UI strings (a code block's Copy) come from the page language's table, loaded as the app loads it.
Object.assign(window, { StreamingMarkdown, loadHighlighter, langReady: initLang() });
