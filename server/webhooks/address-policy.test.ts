// Where a webhook may go: every special-purpose IPv4 and IPv6 block, IPv4 written inside IPv6, the
// odd spellings URLs allow; what demo mode adds (loopback, http). No name is resolved over a network.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Resolver, addressKind, addressProblem, webhookUrlProblem } from './address-policy.ts';

describe('addressKind', () => {
  const cases: [string, string][] = [
    ['93.184.216.34', 'public'],
    ['8.8.8.8', 'public'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.254', 'cgnat'],
    ['100.128.0.1', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.1.2', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['224.0.0.251', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:93.184.216.34', 'public'],
    ['0:0:0:0:0:ffff:c0a8:0101', 'private'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['2002:0a00:0001::1', 'private'],
    ['2002:5db8:d822::1', 'public'],
    ['::127.0.0.1', 'reserved'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['2001::1', 'reserved'],
    ['100::1', 'reserved'],
    ['2606:4700:4700::1111', 'public'],
    ['2a00:1450:4001:81b::200e', 'public'],
  ];
  for (const [ip, kind] of cases) test(`${ip} → ${kind}`, () => assert.equal(addressKind(ip), kind));
  test('not an address → null', () => assert.equal(addressKind('example.com'), null));
});

describe('the policy', () => {
  test('production: public only; demo: loopback too, private never', () => {
    assert.equal(addressProblem('93.184.216.34', { demo: false }), null);
    assert.match(addressProblem('127.0.0.1', { demo: false })!, /loopback address \(allowed in demo mode only\)/);
    assert.equal(addressProblem('127.0.0.1', { demo: true }), null);
    assert.equal(addressProblem('::1', { demo: true }), null);
    assert.match(addressProblem('10.0.0.1', { demo: true })!, /private/);
    assert.match(addressProblem('169.254.169.254', { demo: true })!, /link-local/);
  });

  const resolveTo =
    (map: Record<string, string[]>): Resolver =>
    async (host) => {
      const found = map[host];
      if (!found) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    };
  const resolver = resolveTo({
    'hooks.public.test': ['93.184.216.34', '2606:4700:4700::1111'],
    'hooks.internal.test': ['10.0.0.7'],
    'hooks.mixed.test': ['93.184.216.34', '127.0.0.1'],
    'hooks.mapped.test': ['::ffff:192.168.0.10'],
  });
  const prod = (url: string) => webhookUrlProblem(url, { demo: false }, resolver);

  test('URLs a production client may register, and those refused with the reason', async () => {
    assert.equal(await prod('https://hooks.public.test/kycvs'), null);
    assert.equal(await prod('https://93.184.216.34:8443/x?y=1'), null);
    assert.match((await prod('http://hooks.public.test/'))!, /must be an https URL/);
    assert.match((await prod('ftp://hooks.public.test/'))!, /must be an https URL/);
    assert.match((await prod('https://user:pw@hooks.public.test/'))!, /user name or password/);
    assert.match((await prod('https://hooks.public.test/#x'))!, /fragment/);
    assert.match((await prod('not a url'))!, /not an absolute URL/);
    assert.match((await prod(`https://hooks.public.test/${'a'.repeat(2100)}`))!, /at most 2048/);
    assert.match((await prod('https://hooks.internal.test/'))!, /hooks\.internal\.test resolves to 10\.0\.0\.7 is a private address/);
    assert.match((await prod('https://hooks.mixed.test/'))!, /127\.0\.0\.1 is a loopback address/);
    assert.match((await prod('https://hooks.mapped.test/'))!, /private/);
    assert.match((await prod('https://nowhere.test/'))!, /does not resolve \(ENOTFOUND\)/);
    assert.match((await prod('https://127.0.0.1/'))!, /loopback/);
    assert.match((await prod('https://[::1]/'))!, /loopback/);
    assert.match((await prod('https://[::ffff:127.0.0.1]/'))!, /loopback/);
    assert.match((await prod('https://[fd00::1]/'))!, /private/);
    assert.match((await prod('https://169.254.169.254/latest/meta-data/'))!, /link-local/);
    assert.match((await prod('https://100.100.100.200/'))!, /cgnat/);
    assert.match((await prod('https://0.0.0.0/'))!, /unspecified/);
    assert.match((await prod('https://[::]/'))!, /unspecified/);
    assert.match((await prod('https://224.0.0.1/'))!, /multicast/);
    // The URL parser turns other spellings of an IPv4 address into the dotted one first.
    assert.match((await prod('https://2130706433/'))!, /127\.0\.0\.1 is a loopback/);
    assert.match((await prod('https://0x7f.1/'))!, /127\.0\.0\.1 is a loopback/);
    assert.match((await prod('https://017700000001/'))!, /127\.0\.0\.1 is a loopback/);
    assert.match((await prod('https://10.1/'))!, /10\.0\.0\.1 is a private/);
  });

  test('demo mode: http and loopback are allowed, private still refused', async () => {
    const demo = (url: string) => webhookUrlProblem(url, { demo: true }, resolver);
    assert.equal(await demo('http://127.0.0.1:8081/api/railway/webhook'), null);
    assert.equal(await demo('http://[::1]:9/'), null);
    assert.match((await demo('http://hooks.internal.test/'))!, /private/);
  });
});
