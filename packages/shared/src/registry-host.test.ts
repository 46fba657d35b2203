import { describe, expect, test } from 'vitest';
import { DOCKER_HUB_KEY, normaliseRegistryHost, serverUrlForKey } from './registry-host';

describe('normaliseRegistryHost', () => {
  test.each([
    ['', DOCKER_HUB_KEY],
    ['  ', DOCKER_HUB_KEY],
    ['https://index.docker.io/v1/', DOCKER_HUB_KEY],
    ['index.docker.io', DOCKER_HUB_KEY],
    ['docker.io', DOCKER_HUB_KEY],
    ['registry-1.docker.io', DOCKER_HUB_KEY],
    ['https://registry-1.docker.io/v2/', DOCKER_HUB_KEY],
    ['DOCKER.IO\n', DOCKER_HUB_KEY],
    ['ghcr.io', 'ghcr.io'],
    ['GHCR.io', 'ghcr.io'],
    ['https://ghcr.io', 'ghcr.io'],
    ['https://ghcr.io:443/v2/owner/repo', 'ghcr.io'],
    ['ghcr.io:443', 'ghcr.io'],
    ['http://registry.local:80', 'registry.local'],
    ['registry.local:80', 'registry.local:80'],
    ['127.0.0.1:5000', '127.0.0.1:5000'],
    ['http://127.0.0.1:5000', '127.0.0.1:5000'],
    ['127.0.0.1:5000/team/app', '127.0.0.1:5000'],
    ['localhost:5000', 'localhost:5000'],
    ['[::1]:5000', '[::1]:5000'],
    ['oci://quay.io/x', 'quay.io'],
  ])('%j → %s', (raw, key) => expect(normaliseRegistryHost(raw)).toBe(key));

  test.each([
    ['a b'],
    ['user:pass@ghcr.io'],
    ['ghcr.io:0'],
    ['ghcr.io:99999'],
    ['-bad.io'],
    ['ghcr.io:port'],
    ['x'.repeat(2000)],
    ['\u0000'],
    ['ghcr.io\nhost=evil'],
    ['[::1'],
  ])('%j is not a registry', (raw) => expect(normaliseRegistryHost(raw)).toBeUndefined());

  test('host:5000 and host are different registries', () => {
    expect(normaliseRegistryHost('host:5000')).not.toBe(normaliseRegistryHost('host'));
  });

  test('Docker Hub is reported under the docker CLI key', () => {
    expect(serverUrlForKey(DOCKER_HUB_KEY)).toBe('https://index.docker.io/v1/');
    expect(serverUrlForKey('ghcr.io')).toBe('ghcr.io');
  });
});
