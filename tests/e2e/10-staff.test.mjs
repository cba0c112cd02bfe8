// 10-staff — the Staff card of the manager's page: the manager gives a newly
// registered person the facilitator role by their username, sees them in the
// list, and that person (in a second browser) finds the facilitator's
// dashboard after reloading; a staff role is taken away only after a
// question, and a refusal is shown under the person it concerns.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  SKIP, PHONE, withPeople, signUp, cliUser, api, waitForText, screenshot, assertLayout, until,
  withBrowserAndServer,
} from './helper.mjs';

const roleOf = async (srv, who) => (await api(srv, '/api/v1/me', { cookie: who.cookie })).json.role;

describe('staff and roles on the manager\'s page', { skip: SKIP }, () => {
  let srv;
  let browser;
  withBrowserAndServer({}, (s, b) => { srv = s; browser = b; });

  test('the manager promotes a new user by username; they see the dashboard after reloading', async (t) => {
    const manager = await cliUser(srv, 'manager', { display_name: 'Rhian Manager' });
    const newcomer = await signUp(srv, { display_name: 'Dr Okafor' });
    await withPeople(t, browser, srv, [
      { creds: manager.creds, name: 'manager' },
      { creds: newcomer.creds, name: 'newcomer' },
    ], async ([m, p]) => {
      const nav = p.page.getByRole('navigation', { name: 'Main' });
      await p.page.goto('/');
      await nav.getByRole('button', { name: 'Sign out' }).waitFor();
      assert.equal(await nav.getByRole('link', { name: 'Dashboard' }).count(), 0, 'a member has no dashboard');

      const page = m.page;
      await page.goto('/manage');
      const staff = page.locator('section[aria-labelledby="mg-staff"]');
      await waitForText(staff, /Rhian Manager/);
      assert.doesNotMatch(await staff.locator('ul').textContent(), /Dr Okafor/, 'not staff yet');
      const form = page.getByRole('form', { name: 'Give someone a role' });

      // an unknown username: the error stands under the field
      await form.getByLabel('Username').fill('nobody-by-this-name');
      await form.getByLabel('Role', { exact: true }).selectOption('facilitator');
      await form.getByRole('button', { name: 'Give the role' }).click();
      const userField = form.locator('.field').filter({ has: page.getByLabel('Username') });
      await waitForText(userField.locator('.field-error'), /no account with that username/);
      assert.equal(await form.getByLabel('Username').getAttribute('aria-invalid'), 'true');

      // the real one, typed in capitals, from the keyboard
      await form.getByLabel('Username').fill(newcomer.creds.username.toUpperCase());
      assert.equal(await userField.locator('.field-error').isHidden(), true, 'the error goes once the field changes');
      await form.getByLabel('Username').press('Enter');
      await waitForText(form.locator('[role="status"]'),
        new RegExp(`Dr Okafor \\(${newcomer.creds.username}\\) is now a facilitator`));
      assert.equal(await form.getByLabel('Username').inputValue(), '', 'the form is ready for the next person');
      const item = staff.locator(`li[data-staff-id="${newcomer.user.id}"]`);
      await waitForText(item, new RegExp(`Dr Okafor.*\\(${newcomer.creds.username}\\).*Facilitator.*Runs no group`, 's'));
      assert.equal(await item.getByLabel('Role of Dr Okafor').inputValue(), 'facilitator');
      assert.equal(await roleOf(srv, newcomer), 'facilitator');
      await screenshot(page, 'manage-staff-desktop');
      await assertLayout(page, 'manage page with the staff card');

      // the promoted person reloads and finds the facilitator's dashboard
      await p.page.reload();
      await nav.getByRole('link', { name: 'Dashboard' }).click();
      await p.page.getByRole('heading', { level: 1, name: /Dashboard/ }).waitFor();
    });
  });

  test('taking a staff role away asks first; the last manager is told why not, under their name', async (t) => {
    const manager = await cliUser(srv, 'manager', { display_name: 'Aled Manager' });
    const fac = await cliUser(srv, 'facilitator', { display_name: 'Bea Facilitator' });
    // this test's server has two managers by now, so leave only one: the first test's
    const others = (await api(srv, '/api/v1/staff', { cookie: manager.cookie })).json.staff
      .filter((s) => s.role === 'manager' && s.id !== manager.user.id);
    for (const o of others) {
      const r = await api(srv, `/api/v1/users/${o.id}/role`, { method: 'PUT', cookie: manager.cookie, body: { role: 'facilitator' } });
      assert.equal(r.status, 200, r.text);
    }
    await withPeople(t, browser, srv, [{ creds: manager.creds, name: 'manager', viewport: PHONE }], async ([m]) => {
      const page = m.page;
      await page.goto('/manage');
      const staff = page.locator('section[aria-labelledby="mg-staff"]');
      const item = staff.locator(`li[data-staff-id="${fac.user.id}"]`);
      await waitForText(item, /Bea Facilitator/);
      await assertLayout(page, 'manage page at 360 px');

      // "Member" from the keyboard; Escape in the question changes nothing
      const select = item.getByLabel('Role of Bea Facilitator');
      await select.selectOption('member');
      await item.getByRole('button', { name: 'Save the role of Bea Facilitator' }).focus();
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', { name: 'Remove Bea Facilitator’s staff role?' });
      await waitForText(dialog, /will no longer be staff/);
      await screenshot(page, 'manage-staff-confirm-360', { fullPage: false });
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      assert.equal(await select.inputValue(), 'facilitator', 'the choice goes back');
      assert.equal(await roleOf(srv, fac), 'facilitator');

      await select.selectOption('member');
      await item.getByRole('button', { name: 'Save the role of Bea Facilitator' }).click();
      await dialog.getByRole('button', { name: 'Remove the staff role' }).click();
      await waitForText(page.locator('#status'), /Bea Facilitator is no longer staff/);
      await item.waitFor({ state: 'detached' });
      await until('the role is member', async () => (await roleOf(srv, fac)) === 'member');

      // the only manager demotes themself: asked, then refused, with the reason under their name
      const mine = staff.locator(`li[data-staff-id="${manager.user.id}"]`);
      await mine.getByLabel('Role of Aled Manager').selectOption('facilitator');
      await mine.getByRole('button', { name: 'Save the role of Aled Manager' }).click();
      await page.getByRole('dialog', { name: 'Change your own role?' })
        .getByRole('button', { name: 'Become a facilitator' }).click();
      await waitForText(mine.locator('.field-error'), /at least one manager/);
      assert.equal(await mine.getByLabel('Role of Aled Manager').getAttribute('aria-invalid'), 'true');
      assert.equal(await roleOf(srv, manager), 'manager');
      await assertLayout(page, 'a refused role change at 360 px');
    });
  });
});
