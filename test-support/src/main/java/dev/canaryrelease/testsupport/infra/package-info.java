/**
 * Launchers for the real local infrastructure, for tests: each starts a real Debian binary on free
 * ports on loopback with its own temporary folder and is {@link java.lang.AutoCloseable} (and
 * closed by a shutdown hook if a test forgets). A missing binary fails with the Debian package to
 * install ({@link dev.canaryrelease.testsupport.infra.Binaries}), never a skipped test.
 *
 * <ul>
 *   <li>{@link dev.canaryrelease.testsupport.infra.DockerEngine} — dockerd with its own roots,
 *       bridge, unique 127.213.N.1 host address and TLS API ({@code --tlsverify});
 *   <li>{@link dev.canaryrelease.testsupport.infra.RegistryServer} — docker-registry, deletes on,
 *       optional notifications with a bearer token;
 *   <li>{@link dev.canaryrelease.testsupport.infra.SshServer} — sshd with a pinned host key,
 *       optionally fronting a DockerEngine;
 *   <li>{@link dev.canaryrelease.testsupport.infra.Pki} — a CA and certificates (openssl CLI);
 *   <li>{@link dev.canaryrelease.testsupport.infra.ExampleApp} — the FROM scratch busybox app:
 *       build, push, run (only from a 127.x registry, {@code --pull never}).
 * </ul>
 *
 * Parallel test JVMs on one machine never collide: every DockerEngine holds a slot (a file lock in
 * {@code /tmp/canary-release-infra}) that gives it its bridge {@code crbN}, subnet {@code
 * 10.213.N.0/24} and address {@code 127.213.N.1}. dockerd always runs with {@code --iptables=false
 * --ip-forward=false --ip-masq=false}: the host's firewall and sysctls are never touched.
 */
package dev.canaryrelease.testsupport.infra;
