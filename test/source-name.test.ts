// Source package names: parsed from the src attribute, or derived as ALAS lists them when it is missing.
import t from 'tap'
import { affectedSources, sourceName } from '../domain/source-name.js'

t.test('sourceName parses name-version-release[.src|.nosrc].rpm', async (t) => {
  t.equal(sourceName('openssl-1.0.2k-19.amzn2.src.rpm'), 'openssl')
  t.equal(sourceName('java-1.8.0-openjdk-1.8.0.161-0.b14.amzn2.src.rpm'), 'java-1.8.0-openjdk')
  t.equal(sourceName('Packages/kernel-4.18.0-305.12.1.el8_4.src.rpm'), 'kernel')
  t.equal(sourceName('foo-1-2.nosrc.rpm'), 'foo')
  t.equal(sourceName('rubygem-abrt-0.3.0-4.module+el8.5.0+738+032c9c02.src.rpm'), 'rubygem-abrt')
  t.equal(sourceName('openssl'), null, 'not a file name')
  t.equal(sourceName('nodash.src.rpm'), null)
  t.equal(sourceName('one-dash.src.rpm'), null)
  t.equal(sourceName(''), null)
  t.equal(sourceName(null), null)
})

t.test('affectedSources prefers src, then src packages, then collapses binary names', async (t) => {
  t.same(affectedSources([
    { name: 'python3-firewall', arch: 'noarch', srcName: 'firewalld' },
    { name: 'firewalld', arch: 'noarch', srcName: 'firewalld' }
  ]), ['firewalld'])
  t.same(affectedSources([
    { name: 'openssl', arch: 'src', srcName: null },
    { name: 'openssl-libs', arch: 'x86_64', srcName: null }
  ]), ['openssl'])
  t.same(affectedSources(['kernel', 'kernel-headers', 'kernel-debuginfo-common-x86_64', 'perf', 'perf-debuginfo', 'python-perf', 'python-perf-debuginfo', 'kernel-doc']
    .map((name) => ({ name, arch: 'x86_64', srcName: null }))), ['kernel', 'perf', 'python-perf'])
  t.same(affectedSources(['qemu-kvm', 'qemu-img', 'qemu-kvm-common'].map((name) => ({ name, arch: 'x86_64', srcName: null }))), ['qemu-img', 'qemu-kvm'])
  t.same(affectedSources([]), [])
})
