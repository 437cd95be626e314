import assert from 'node:assert/strict';
import { test } from 'node:test';
import { acceptedLanguages, htmlText, prerenderFirstStep } from './prerender.ts';

const CONFIG = {
  ok: true as const,
  clientId: 'demo-railway',
  clientName: 'Rail <b>"&\'</b>',
  purpose: 'Boarding </script><script>alert(1)</script>',
  issuerName: 'KYC-VS',
  parentOrigin: 'https://rail.example',
  texts: { hi: { name: 'रेल' } },
};

test('htmlText binds as Lit does: attributes escaped, ?boolean present when true, .property and @event left to the script', () => {
  const onClick = () => undefined;
  const out = htmlText`<input id=${'a"b'} ?disabled=${true} ?required=${false} .value=${'typed'} @click=${onClick} aria-invalid=${false}><p>${'<i>&'}${htmlText`<b>${'x'}</b>`}${['1', '<2>']}${undefined}</p>`;
  assert.equal(out.text, '<input id="a&quot;b" disabled aria-invalid="false"><p>&lt;i&gt;&amp;<b>x</b>1&lt;2&gt;</p>');
});

test('htmlText: "name=" in text is text, not an attribute', () => {
  assert.equal(htmlText`<p>a b=${'<c>'}</p>`.text, '<p>a b=&lt;c&gt;</p>');
});

test('Accept-Language: tags by weight, the unwanted and the wildcard dropped', () => {
  assert.deepEqual(acceptedLanguages('en-IN,en;q=0.9,hi;q=0.95,ta;q=0,*;q=0.1'), ['en-IN', 'hi', 'en']);
  assert.deepEqual(acceptedLanguages(undefined), []);
  assert.deepEqual(acceptedLanguages(' , ;q=1'), []);
});

test('the first step: the form with Send disabled, who asks and why escaped, in the browser language', async () => {
  const en = await prerenderFirstStep(CONFIG, 'en-GB,en;q=0.8');
  assert.equal(en.lang, 'en');
  assert.equal(en.title, 'Vaccination status check');
  assert.match(en.html, /<kycvs-details-step data-step>\s*<form novalidate>/);
  assert.match(en.html, /<input id="kycvs-mobile" name="mobile"[^>]*>/);
  assert.match(en.html, /<button class="primary" type="submit" disabled>Send OTP<\/button>/);
  assert.ok(en.html.includes('Rail &lt;b&gt;&quot;&amp;&#39;&lt;/b&gt; asks for your vaccination status'), en.html);
  assert.ok(en.html.includes('Boarding &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.doesNotMatch(en.html, /<script|<\/script|<b>/);
  // One language listed (no font look-ups for twelve scripts before the first paint).
  assert.equal(en.html.match(/<option /g)?.length, 1);
  assert.match(en.html, /<option value="en" lang="en" selected>English<\/option>/);

  const hi = await prerenderFirstStep(CONFIG, 'hi-IN,hi;q=0.9,en;q=0.8');
  assert.equal(hi.lang, 'hi');
  assert.ok(hi.html.includes('रेल'), 'the name registered in Hindi');
  // The purpose has no Hindi text: English, marked as such.
  assert.ok(hi.html.includes('<span lang="en">Boarding &lt;/script&gt;'), hi.html);
  assert.equal((await prerenderFirstStep(CONFIG, 'de-DE')).lang, 'en');
});
