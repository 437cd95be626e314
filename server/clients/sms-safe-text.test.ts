// The one rule for text a verifier words into the SMS (client name, purpose): what passes, what does not.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SMS_TEXT_MAX_CHARS, smsTextProblem } from './sms-safe-text.ts';

describe('smsTextProblem', () => {
  test('ordinary names and purposes pass, in any script, with short numbers', () => {
    for (const text of [
      'Demo Railways',
      'Boarding a train: travel rules ask for vaccination status',
      'Hotel check-in',
      'Tatkal booking PNR 123',
      'Room 204 check-in',
      'Flight AI 101, gate 12',
      'होटल में चेक-इन',
      'ரயில் பயணம் 12',
      "Dr. O'Brien & Sons (Pvt.) Ltd",
      'x'.repeat(SMS_TEXT_MAX_CHARS),
      '🚆'.repeat(SMS_TEXT_MAX_CHARS), // 80 characters, 160 UTF-16 units
    ]) {
      assert.equal(smsTextProblem(text), null, text);
    }
  });

  test('line breaks, controls, bidi and other invisible format characters are refused', () => {
    for (const [what, text] of [
      ['newline', 'Boarding\nYour OTP is 0'],
      ['carriage return', 'Boarding\rx'],
      ['tab', 'Boarding\tx'],
      ['NUL', 'Boarding\0'],
      ['DEL', 'Boarding\x7f'],
      ['C1 next line', 'Boarding\u0085x'],
      ['line separator', 'Boarding\u2028x'],
      ['paragraph separator', 'Boarding\u2029x'],
      ['right-to-left override', 'Boarding \u202Eedoc'],
      ['left-to-right embedding', '\u202Ax'],
      ['pop directional', 'x\u202C'],
      ['left-to-right mark', 'x\u200E'],
      ['right-to-left mark', 'x\u200F'],
      ['first-strong isolate', 'x\u2068y\u2069'],
      ['right-to-left isolate', 'x\u2067y'],
      ['zero-width space', 'x\u200By'],
      ['zero-width joiner', 'x\u200Dy'],
      ['soft hyphen', 'x\u00ADy'],
      ['byte order mark', '\uFEFFx'],
      ['lone surrogate', 'x\uD800y'],
    ] as const) {
      assert.match(smsTextProblem(text) ?? 'passed', /line break|control|invisible/, what);
    }
  });

  test('four or more digits together are refused, in any script, spaced or not', () => {
    for (const text of [
      'Your OTP is 000000',
      'code 1234',
      'call 1800 123 456',
      'code 000 000',
      'code 0-0-0-0',
      'code 12.34',
      'pay 12/34',
      'code ०००००० (Devanagari)',
      'code ０００００ (fullwidth)',
      'code ௦௦௦௦ (Tamil)',
      'code 𝟎𝟎𝟎𝟎 (mathematical)',
      'code ⁰⁰⁰⁰ (superscript)',
      'code ①②③④ (circled)',
      'code 12३४ (mixed scripts)',
    ]) {
      assert.match(smsTextProblem(text) ?? 'passed', /number/, text);
    }
    for (const text of ['PNR 123', 'room 12 bed 34', '1 2 3', 'AB-12-CD-34']) assert.equal(smsTextProblem(text), null, text);
  });

  test('more than 80 characters, or nothing but spaces, is refused', () => {
    assert.match(smsTextProblem('x'.repeat(SMS_TEXT_MAX_CHARS + 1)) ?? 'passed', /longer than 80/);
    assert.match(smsTextProblem('🚆'.repeat(SMS_TEXT_MAX_CHARS + 1)) ?? 'passed', /longer than 80/);
    assert.match(smsTextProblem('') ?? 'passed', /empty/);
    assert.match(smsTextProblem('   ') ?? 'passed', /empty/);
  });
});
