import { describe, expect, it } from 'vitest';
import { escapeHtml, html, htmlToString, unsafeHtml } from './html';

describe('html', () => {
  it('escapes every interpolated value', () => {
    const name = '<script>alert("x")</script> & \'friends\'';
    expect(String(html`<p>Hi ${name}</p>`)).toBe(
      '<p>Hi &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;friends&#39;</p>',
    );
  });

  it('passes nested html and unsafeHtml through, joins arrays, drops null, undefined and false', () => {
    const items = ['a<b', 'c'].map((item) => html`<li>${item}</li>`);
    const out = html`<ul>${items}</ul>${unsafeHtml('<hr>')}${null}${undefined}${false}${0}`;
    expect(htmlToString(out)).toBe('<ul><li>a&lt;b</li><li>c</li></ul><hr>0');
  });

  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });
});
