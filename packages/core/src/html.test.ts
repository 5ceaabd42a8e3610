import { describe, expect, it } from 'vitest';
import { escapeHtml, html, htmlToString, safeUrl, UNSAFE_URL, unsafeHtml } from './html';

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

  it('vets the scheme of URLs interpolated into href and src', () => {
    const links = ['javascript:alert(1)', ' JaVa\tScRiPt:alert(1)', 'data:text/html,<b>x</b>', 'vbscript:x'];
    for (const url of links) {
      expect(String(html`<a href="${url}">x</a>`)).toBe(`<a href="${UNSAFE_URL}">x</a>`);
      expect(String(html`<img src=${url}>`)).toBe(`<img src=${UNSAFE_URL}>`);
    }
    const fine = ['https://acme.test/t/1?a=1&b=2', '/tickets/1', 'mailto:ana@acme.test', 'cid:logo', '#top'];
    for (const url of fine) {
      expect(String(html`<a href='${url}'>x</a>`)).toBe(`<a href='${escapeHtml(url)}'>x</a>`);
    }
    // Elsewhere a value is text, not a URL: escaped, not rewritten.
    expect(String(html`<p>${'javascript:alert(1)'}</p>`)).toBe('<p>javascript:alert(1)</p>');
    // Trusted markup passes as it is.
    expect(String(html`<a href="${unsafeHtml('data:image/png;base64,AA')}">x</a>`)).toBe(
      '<a href="data:image/png;base64,AA">x</a>',
    );
  });

  it('offers safeUrl for URLs used elsewhere', () => {
    expect(safeUrl('javascript:void(0)')).toBe(UNSAFE_URL);
    expect(safeUrl('https://acme.test')).toBe('https://acme.test');
    expect(safeUrl('relative/path')).toBe('relative/path');
  });
});
