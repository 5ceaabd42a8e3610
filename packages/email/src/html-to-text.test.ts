import { html } from '@herald/core';
import { describe, expect, it } from 'vitest';
import { decodeEntities, htmlToText } from './html-to-text';

describe('htmlToText', () => {
  it('turns paragraphs, headings and line breaks into lines', () => {
    expect(htmlToText('<h1>Title</h1><p>First line<br>second line</p><p>Next paragraph</p>')).toBe(
      'Title\n\nFirst line\nsecond line\n\nNext paragraph',
    );
  });

  it('collapses source whitespace as a browser would', () => {
    expect(htmlToText('<p>\n   Hello\n   <b>there</b>,\n   friend   </p>')).toBe('Hello there, friend');
  });

  it('keeps link addresses readable beside their words', () => {
    expect(htmlToText('<p>See <a href="https://acme.test/t/1">the ticket</a>.</p>')).toBe(
      'See the ticket (https://acme.test/t/1).',
    );
    // The address is not repeated when the words are the address.
    expect(htmlToText('<a href="https://acme.test/">https://acme.test/</a>')).toBe('https://acme.test/');
    expect(htmlToText('<a href="https://acme.test/">acme.test/</a>')).toBe('acme.test/');
    expect(htmlToText('<a href="mailto:help@acme.test?subject=Hi">Write to us</a>')).toBe(
      'Write to us (help@acme.test)',
    );
    expect(htmlToText('<a href="mailto:help@acme.test">help@acme.test</a>')).toBe('help@acme.test');
    // In-page anchors and scripts have no address worth reading.
    expect(htmlToText('<a href="#top">Back to top</a> <a href="javascript:void(0)">Menu</a>')).toBe('Back to top Menu');
    // An empty link (an icon) reads as its address.
    expect(htmlToText('<a href="https://acme.test/x"><span></span></a>')).toBe('https://acme.test/x');
    // Entities in the href are decoded.
    expect(htmlToText("<a href='https://acme.test/?a=1&amp;b=2'>go</a>")).toBe('go (https://acme.test/?a=1&b=2)');
  });

  it('writes list items with a dash and table cells apart', () => {
    expect(htmlToText('<ul><li>One</li><li>Two</li></ul><p>After</p>')).toBe('- One\n- Two\n\nAfter');
    expect(htmlToText('<table><tr><th>Name</th><th>Due</th></tr><tr><td>Fix</td><td>Friday</td></tr></table>')).toBe(
      'Name Due\nFix Friday',
    );
  });

  it('drops head, style, script and comments, and shows image alt text', () => {
    expect(
      htmlToText(
        '<html><head><title>T</title><style>p{color:red}</style></head><body><!-- hidden --><script>alert(1)</script><p><img src="logo.png" alt="Acme"> Welcome</p></body></html>',
      ),
    ).toBe('Acme Welcome');
  });

  it('decodes entities after tags are gone, so escaped markup reads as text', () => {
    expect(
      htmlToText('<p>Tom &amp; &quot;Jerry&quot; &lt;script&gt; &#39;x&#39; &#x2014; caf&eacute;&nbsp;ok</p>'),
    ).toBe('Tom & "Jerry" <script> \'x\' — café ok');
  });

  it('keeps preformatted text as written', () => {
    expect(htmlToText('<p>Log:</p><pre>line 1\n  indented &lt;2&gt;</pre><p>End</p>')).toBe(
      'Log:\n\nline 1\n  indented <2>\n\nEnd',
    );
  });

  it('renders a horizontal rule and collapses runs of blank lines', () => {
    expect(htmlToText('<p>A</p><p></p><p></p><hr><p>B</p>')).toBe('A\n\n---\n\nB');
  });

  // Quadratic before: 160 KB of U+00A0 stalled the event loop 8.3 s; 1 MB would take minutes, past the timeout.
  it('stays linear on long runs of non-breaking spaces from a payload', () => {
    const run = '\u00a0'.repeat(1_000_000);
    const markup = String(html`<p>Hi ${run}there</p><p>${run}</p><br>${run}x`);
    const text = htmlToText(markup);
    expect(text.startsWith('Hi ')).toBe(true);
    expect(text.endsWith('x')).toBe(true);
    // The line keeps its spaces; a line of spaces alone is blank; spaces after a break are dropped.
    expect(text.split('\n').map((line) => line.length)).toEqual(['Hi '.length + 1_000_000 + 'there'.length, 0, 1]);
  }, 20_000);

  it('does not let placeholder characters in the input change the layout', () => {
    expect(htmlToText('a\ue000b\ue001c\ue003d')).toBe('abcd');
  });
});

describe('decodeEntities', () => {
  it('decodes named and numeric references and leaves unknown or invalid ones', () => {
    expect(decodeEntities('&lt;&gt;&amp;&quot;&apos;&#65;&#x42;&#X43;&AMP;')).toBe('<>&"\'ABC&');
    expect(decodeEntities('&Eacute;&eacute;&szlig;&yuml;&iexcl;')).toBe('Ééßÿ¡');
    expect(decodeEntities('&unknown; &#0; &#xD800; &#1114112;')).toBe('&unknown; &#0; &#xD800; &#1114112;');
  });
});
