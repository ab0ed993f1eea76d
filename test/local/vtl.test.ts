import { render as velocityRender } from 'velocityjs';
import { SEND_MESSAGE_TEMPLATE } from '../../src/contract/routes';
import { escapeJavaScript, jsonPath, renderTemplate } from '../../src/local/vtl';

// The async sendMessage request template, rendered with Velocity as API Gateway renders it, over
// bodies that try to break it. The rendered text must be JSON and carry the frame exactly.

const context = {
  connectionId: 'L0SM9cOFvHcCIhw=',
  domainName: 'abc123.execute-api.ap-northeast-2.amazonaws.com',
  stage: 'chat',
  requestId: 'Jx5bZGkKIE0Fd9w=',
  authorizer: { principalId: '7c1e5f0a-0b1e-4d5e-9a0b-1c2d3e4f5a6b' },
};

// With the frame around it (90 bytes), exactly API Gateway's 32,768-byte frame limit.
const hangulPart = `${'한'.repeat(10_892)}ab`; // 32,678 bytes of UTF-8
const hostile: Record<string, string> = {
  'double quotes': 'say "hi" and "}" then {"action":"stop"}',
  'single quotes': 'it\'s \'quoted\'',
  'backslashes': 'C:\\Users\\me\\ and \\" and \\\\u0041 and a trailing \\',
  'Velocity references': '$context.connectionId $input.json(\'$\') ${util} $!{x} $util.escapeJavaScript("a")',
  'Velocity directives': '#set($x = "pwned") #if(true)yes#end #foreach($i in [1..3])$i#end ## a line comment #* a block *# #{else}',
  'line and paragraph separators': 'one\u2028two\u2029three\n\r\t\u0000\u001f',
  'emoji': '😀👍🏽👨‍👩‍👧 \ud83d\ude00',
  'Hangul': '안녕하세요, 한국어로 답해 주세요. ㅋㅋ ㄱㄴㄷ',
  'HTML and JSON text': '</script><b>x</b> {"a":[1,2,{"b":null}]}',
  'a 32 KB part': hangulPart,
};

function render(body: string) {
  const text = renderTemplate(SEND_MESSAGE_TEMPLATE, { body, context });
  return { text, event: JSON.parse(text) };
}

describe('the sendMessage request template under Velocity', () => {
  test.each(Object.entries(hostile))('%s: the rendered event is JSON and carries the frame exactly', (_name, text) => {
    const frame = { action: 'sendMessage', messageId: 'msg-00000001', conversationId: 'conv-0000001', text, part: { index: 0, count: 2 } };
    const body = JSON.stringify(frame);
    const { event } = render(body);
    expect(event.body).toEqual(frame);
    expect(event.body.text).toBe(text);
    expect(JSON.stringify(event.body)).toBe(body);
    expect(event.requestContext).toEqual({ routeKey: 'sendMessage', ...context });
  });

  test('the 32 KB part is at the frame limit and passes through whole', () => {
    const body = JSON.stringify({ action: 'sendMessage', messageId: 'msg-00000002', text: hangulPart, part: { index: 1, count: 2 } });
    expect(Buffer.byteLength(body)).toBe(32 * 1024);
    expect(render(body).event.body.text).toBe(hangulPart);
  });

  test('a body written with other spacing or key order arrives as the same object ($input.json re-serializes)', () => {
    const { event } = render('{ "text" : "가\\u0022나" ,\n "action":"sendMessage", "messageId" : "msg-00000003" }');
    expect(event.body).toEqual({ text: '가"나', action: 'sendMessage', messageId: 'msg-00000003' });
  });

  test('a principal id with a quote would break the template: the renderer shows it (no silent repair)', () => {
    expect(() => JSON.parse(renderTemplate(SEND_MESSAGE_TEMPLATE, {
      body: '{"action":"sendMessage"}', context: { ...context, authorizer: { principalId: 'a"b' } },
    }))).toThrow();
  });
});

describe('the template variables', () => {
  test('$input.json, $input.path, $input.body and $input.params', () => {
    const body = '{"a":{"b":[10,{"c":"x"}]},"k":"v"}';
    const out = renderTemplate('$input.json(\'$.a.b[1]\')|$input.path(\'$.k\')|$input.body|$input.params(\'q\')|$input.json(\'$.missing\')', {
      body, context: {}, params: { querystring: { q: '1' } },
    });
    expect(out).toBe(`{"c":"x"}|v|${body}|1|null`);
    expect(jsonPath({ 'a b': [1] }, '$[\'a b\'][0]')).toBe(1);
    expect(() => jsonPath({}, '$..deep')).toThrow(/Unsupported JSONPath/);
  });

  test('$util.escapeJavaScript escapes quotes, backslash, slash, controls and non-ASCII', () => {
    expect(escapeJavaScript('a"b\'c\\d/e\nf\u2028한😀')).toBe('a\\"b\\\'c\\\\d\\/e\\nf\\u2028\\uD55C\\uD83D\\uDE00');
    expect(renderTemplate('$util.escapeJavaScript($input.path(\'$.t\'))', { body: '{"t":"\\"x\\""}', context: {} })).toBe('\\"x\\"');
    expect(renderTemplate('$util.base64Encode("한")|$util.urlEncode("a b&")', { body: '', context: {} })).toBe('7ZWc|a%20b%26');
  });

  test('values are written as they are: no HTML escaping', () => {
    expect(renderTemplate('$input.body', { body: '<&>"\'', context: {} })).toBe('<&>"\'');
  });

  test('a template parsed once renders each request on its own: #set, #if and #foreach state does not carry over', () => {
    // renderTemplate keeps each template's parsed tree; velocityjs's own render parses every time.
    const template = '#if($input.path(\'$.n\') > 1)#set($word = "many")#end#foreach($i in $input.path(\'$.list\'))$i,#end$!word|$context.id';
    const requests = [
      { body: '{"n":2,"list":[1,2,3]}', context: { id: 'a' } },
      { body: '{"n":1,"list":[]}', context: { id: 'b' } },
      { body: '{"n":3,"list":["한"]}', context: { id: 'c' } },
    ];
    const outs = requests.map((r) => renderTemplate(template, r));
    expect(outs).toEqual(['1,2,3,many|a', '|b', '한,many|c']);
    const fresh = requests.map((r) => velocityRender(template, {
      input: { path: (p: string) => jsonPath(JSON.parse(r.body), p) }, context: r.context,
    }, undefined, { escape: false }));
    expect(outs).toEqual(fresh);
  });
});
