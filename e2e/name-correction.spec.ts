// Issue 10, item 1, in a real Chromium on the demo railway page: a typo in the name is corrected
// after the code (no new SMS), or the citizen picks their name from the ones on the mobile; the
// host's backend then verifies a token for the matched person. A name that never matches ends the
// check "failed", never as "not vaccinated".
import { PEOPLE, enterOtp, expect, openRailway, railwayResult, requestOtp, test } from './fixtures.ts';

test('a typo in the name: one more wrong try, then the right name, and the host gets status 2 with no new SMS', async ({ page, stack }) => {
  const typo = { mobile: PEOPLE.asha.mobile, name: 'Asha  Varma' };
  const frame = await openRailway(page, stack);
  await enterOtp(frame, await requestOtp(frame, stack, typo));
  const texts = (await stack.texts(typo.mobile)).length;

  await expect(frame.getByRole('heading', { name: 'No match on this number' })).toBeFocused();
  await expect(frame.getByText('No one called “Asha Varma” is registered on this mobile number.')).toBeVisible();
  await expect(frame.getByRole('button', { name: 'Share', exact: true })).toHaveCount(0);
  await expect(frame.getByText('Not vaccinated', { exact: true })).toHaveCount(0);
  const name = frame.getByRole('textbox', { name: 'Name as registered' });
  await expect(name).toHaveValue('Asha  Varma');
  const tryIt = frame.getByRole('button', { name: 'Try this name' });
  await expect(tryIt).toHaveAccessibleDescription('3 tries left.');

  await name.fill('Asha Vermaa');
  await tryIt.click();
  await expect(frame.getByRole('alert')).toHaveText('That name matches no one on this number either. 2 tries left.');
  await expect(name).toBeFocused();
  await expect(frame.getByText('No one called “Asha Vermaa” is registered on this mobile number.')).toBeVisible();

  await name.fill('asha verma');
  await tryIt.click();
  await expect(frame.getByRole('heading', { name: 'Share your status?' })).toBeFocused();
  await frame.getByRole('button', { name: 'Share', exact: true }).click();

  await expect(frame.getByText(`You shared: ${PEOPLE.asha.label}`)).toBeVisible();
  await expect(railwayResult(page)).toHaveText("Verified by Demo Railways' server: fully vaccinated (status 2).");
  expect(await stack.texts(typo.mobile)).toHaveLength(texts);
});

test('picking from the names on the mobile: the list shows names only, the pick is shared for that person', async ({ page, stack }) => {
  const frame = await openRailway(page, stack);
  await enterOtp(frame, await requestOtp(frame, stack, { mobile: PEOPLE.ravi.mobile, name: 'Ravee Verma' }));
  await expect(frame.getByRole('heading', { name: 'No match on this number' })).toBeFocused();
  await frame.getByRole('button', { name: 'Show the names registered on this number' }).click();

  const names = frame.getByRole('group', { name: 'Names registered on this number' });
  await expect(names.getByRole('radio')).toHaveCount(3);
  await expect(names.getByRole('radio', { name: 'Asha Verma' })).toBeFocused();
  await expect(names).not.toContainText(/vaccinated|COVISHIELD|COVAXIN|\d/i);
  await names.getByRole('radio', { name: 'Ravi Verma' }).check();
  await expect(frame.getByRole('textbox', { name: 'Name as registered' })).toHaveValue('Ravi Verma');
  await frame.getByRole('button', { name: 'Try this name' }).click();

  await expect(frame.getByRole('heading', { name: 'Share your status?' })).toBeFocused();
  await frame.getByRole('button', { name: 'Share', exact: true }).click();
  await expect(railwayResult(page)).toHaveText("Verified by Demo Railways' server: partially vaccinated (status 1).");
});

test('three names that match no one: nothing more to try, End the check, and the host hears "failed" with no token', async ({ page, stack }) => {
  const frame = await openRailway(page, stack);
  await enterOtp(frame, await requestOtp(frame, stack, { mobile: PEOPLE.asha.mobile, name: 'Someone Else' }));
  const name = frame.getByRole('textbox', { name: 'Name as registered' });
  for (const [guess, left] of [['Someone Other', '2 tries left.'], ['Someone Third', '1 try left.'], ['Someone Fourth', '0 tries left.']] as const) {
    await name.fill(guess);
    await frame.getByRole('button', { name: 'Try this name' }).click();
    await expect(frame.getByRole('alert')).toHaveText(`That name matches no one on this number either. ${left}`);
  }
  await expect(frame.getByText('No more names can be tried in this check, so it can only end.')).toBeVisible();
  await expect(frame.getByRole('heading', { name: 'No match on this number' })).toBeFocused();
  await expect(name).toHaveCount(0);
  await expect(frame.getByRole('button', { name: 'Show the names registered on this number' })).toHaveCount(0);
  await frame.getByRole('button', { name: 'End the check' }).click();

  await expect(page.locator('.kyc-vs-modal')).toHaveCount(0);
  await expect(railwayResult(page)).toHaveAttribute('data-code', 'failed');
});
