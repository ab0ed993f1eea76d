/** Browser side of the rendering tests: the client's own Markdown renderer, on `window`. */
import { loadHighlighter } from '../../../src/client/highlight';
import { StreamingMarkdown } from '../../../src/client/markdown';

Object.assign(window, { StreamingMarkdown, loadHighlighter });
