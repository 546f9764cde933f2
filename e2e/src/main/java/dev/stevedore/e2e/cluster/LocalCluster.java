package dev.stevedore.e2e.cluster;

import dev.stevedore.testkit.kube.KubeBinaries;
import dev.stevedore.testkit.kube.TestKubernetes;
import dev.stevedore.testkit.postgres.LocalPostgresCluster;
import dev.stevedore.testkit.postgres.PostgresLocator;
import dev.stevedore.testkit.postgres.PostgresServer;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real single-node Kubernetes on this machine, for tests and the sandbox: etcd and kube-apiserver (through
 * kube-api-test), kube-controller-manager, kube-scheduler, containerd with runc, and a kubelet that registers
 * one Node; a bridge CNI network on a subnet of its own; a local OCI registry on 127.0.0.1 that holds the
 * base images and what Jib pushes; and a PostgreSQL that listens on the bridge's host address, so Pods reach it.
 *
 * <p>Pods have no default route: they reach the host (PostgreSQL, the registry is reached by containerd on the
 * host) and each other, nothing else. Needs root, cgroup v1 or v2 with the cgroupfs driver, and the packages
 * {@code .ci/run} installs. Everything it changes on the host is written to a {@link HostLedger} first, and
 * {@link #close()} (or the next start, after a crash) undoes it.
 */
public final class LocalCluster implements AutoCloseable {

    public static final String NODE_NAME = "stevedore-node";
    public static final String NETWORK_NAME = "stevedore-e2e";
    /** The pods' subnet; the host side of the bridge is {@link #HOST_ADDRESS}. */
    public static final String POD_SUBNET = "10.213.0.0/24";
    public static final String HOST_ADDRESS = "10.213.0.1";
    /** Where the base images live in the local registry. */
    public static final String TEST_IMAGES_GROUP = "stevedore-test";

    /** The kernel settings the kubelet rewrites at start; restored on close. */
    private static final List<String> KUBELET_SYSCTLS = List.of("vm.overcommit_memory", "vm.panic_on_oom", "kernel.panic",
            "kernel.panic_on_oops", "kernel.keys.root_maxkeys", "kernel.keys.root_maxbytes");
    private static final Duration STARTUP = Duration.ofSeconds(90);

    private final HostLedger ledger;
    private final KubeBinaries binaries;
    private final Path imageCache;
    private final Path logDirectory;
    private final Map<String, Duration> timings = new LinkedHashMap<>();
    private final List<Daemon> daemons = new ArrayList<>();
    private FileChannel lockChannel;
    private FileLock lock;
    private LocalPostgresCluster postgres;
    private TestKubernetes kube;
    private int registryPort;

    private LocalCluster(Path workDir, KubeBinaries binaries, Path imageCache, Path logDirectory) {
        this.ledger = new HostLedger(workDir);
        this.binaries = binaries;
        this.imageCache = imageCache;
        this.logDirectory = logDirectory.toAbsolutePath();
    }

    /** The user cache holds the work directory, so a later run finds an earlier run's leftovers. */
    static Path cacheRoot() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path cache = xdg == null || xdg.isBlank() ? Path.of(System.getProperty("user.home"), ".cache") : Path.of(xdg);
        return cache.resolve("stevedore");
    }

    static Path imageCache() {
        String override = System.getenv("STEVEDORE_IMAGE_CACHE");
        return override == null || override.isBlank() ? cacheRoot().resolve("images") : Path.of(override);
    }

    /**
     * Starts the whole cluster, after undoing whatever an earlier run left behind. The components' logs go
     * to {@code logDirectory}, which outlives the cluster (tests use {@code target/local-cluster}).
     */
    public static LocalCluster start(Path logDirectory) {
        HostLedger.deleteTree(logDirectory);
        LocalCluster cluster = new LocalCluster(cacheRoot().resolve("local-cluster"), KubeBinaries.pinned(), imageCache(), logDirectory);
        try {
            cluster.startAll();
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private void startAll() {
        long begin = System.nanoTime();
        Prerequisites.check(binaries, imageCache);
        takeLock();
        List<String> leftovers = ledger.undoAll();
        if (!leftovers.isEmpty()) {
            throw new IllegalStateException("an earlier local cluster left things behind that could not be removed; fix them and retry:\n  "
                    + String.join("\n  ", leftovers));
        }
        ledger.open();
        timed("host network and cgroups", this::prepareHost);
        timed("postgresql", this::startPostgres);
        timed("registry and base images", this::startRegistry);
        timed("containerd", this::startContainerd);
        timed("api server and controller manager", this::startControlPlane);
        timed("scheduler", this::startScheduler);
        timed("kubelet and a Ready node", this::startKubelet);
        timings.put("total", Duration.ofNanos(System.nanoTime() - begin));
        System.err.println("local-cluster: started " + timings);
    }

    // --- the host -----------------------------------------------------------------------------

    private void takeLock() {
        try {
            Files.createDirectories(cacheRoot());
            lockChannel = FileChannel.open(cacheRoot().resolve("local-cluster.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            lock = lockChannel.tryLock();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock " + cacheRoot().resolve("local-cluster.lock"), e);
        }
        if (lock == null) {
            throw new IllegalStateException("another local cluster is running on this machine (it holds "
                    + cacheRoot().resolve("local-cluster.lock") + "); only one can run at a time");
        }
    }

    private void prepareHost() {
        ledger.recordHostBefore();
        String routes = HostLedger.run(List.of("ip", "-4", "route", "show", POD_SUBNET), false);
        if (!routes.isBlank()) {
            throw new IllegalStateException("the pod subnet " + POD_SUBNET + " is already routed on this machine (" + routes.strip()
                    + "); the local cluster needs it for itself");
        }
        HostLedger.run(List.of("ip", "link", "add", HostLedger.BRIDGE, "type", "bridge"), false);
        HostLedger.run(List.of("ip", "addr", "add", HOST_ADDRESS + "/24", "dev", HostLedger.BRIDGE), false);
        HostLedger.run(List.of("ip", "link", "set", HostLedger.BRIDGE, "up"), false);
        Cgroups.createRoot(HostLedger.CGROUP_ROOT);
    }

    private void startPostgres() {
        Path pgBinaries = PostgresLocator.findLocalBinaries(System.getenv("PATH"))
                .orElseThrow(() -> new IllegalStateException("no PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql"));
        postgres = LocalPostgresCluster.createReachableFrom(pgBinaries, HOST_ADDRESS, POD_SUBNET);
        ledger.recordProcess("postgres", postgres.serverPid());
        ledger.recordDirectory("postgres", postgres.directory());
    }

    // --- registry and containerd --------------------------------------------------------------

    private void startRegistry() {
        registryPort = freePort();
        Path config = write("registry/config.yml", """
                version: 0.1
                log:
                  level: warn
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                http:
                  addr: 127.0.0.1:%d
                """.formatted(ledger.workDir().resolve("registry/data"), registryPort));
        Daemon registry = started(Daemon.start(ledger, "registry", List.of("docker-registry", "serve", config.toString()),
                logFile("registry")));
        registry.awaitHealthy("http://127.0.0.1:" + registryPort + "/v2/", STARTUP);
        for (String image : List.of("pause", "jre")) {
            HostLedger.run(List.of("skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                    "oci:" + imageCache.resolve(image) + ":latest", "docker://" + baseImage(image)), false);
        }
    }

    private void startContainerd() {
        Path work = ledger.workDir();
        String registryHost = registry();
        write("containerd/certs.d/" + registryHost + "/hosts.toml", """
                server = "http://%1$s"

                [host."http://%1$s"]
                  capabilities = ["pull", "resolve", "push"]
                """.formatted(registryHost));
        // No default route in the pods (isGateway false, no routes): they reach the host's address and each other only.
        write("net.d/10-" + NETWORK_NAME + ".conflist", """
                {
                  "cniVersion": "0.4.0",
                  "name": "%s",
                  "plugins": [
                    {
                      "type": "bridge",
                      "bridge": "%s",
                      "isGateway": false,
                      "ipMasq": false,
                      "hairpinMode": true,
                      "ipam": {
                        "type": "host-local",
                        "dataDir": "%s",
                        "ranges": [[{"subnet": "%s", "gateway": "%s"}]]
                      }
                    }
                  ]
                }
                """.formatted(NETWORK_NAME, HostLedger.BRIDGE, work.resolve("cni-ipam"), POD_SUBNET, HOST_ADDRESS));
        Path config = write("containerd/config.toml", """
                version = 2
                root = "%1$s/containerd/root"
                state = "%1$s/containerd/state"
                disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
                  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp"]

                [grpc]
                  address = "%1$s/containerd.sock"

                [ttrpc]
                  address = "%1$s/containerd.sock.ttrpc"

                [plugins."io.containerd.grpc.v1.cri"]
                  sandbox_image = "%2$s"
                  # The VM lacks CAP_SYS_RESOURCE: nothing may lower oom_score_adj, so sandboxes must not try.
                  restrict_oom_score_adj = true
                  stream_server_address = "127.0.0.1"
                  [plugins."io.containerd.grpc.v1.cri".containerd]
                    snapshotter = "overlayfs"
                    default_runtime_name = "runc"
                    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
                      runtime_type = "io.containerd.runc.v2"
                      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                        SystemdCgroup = false
                        Root = "%1$s/runc"
                  [plugins."io.containerd.grpc.v1.cri".cni]
                    bin_dir = "/usr/lib/cni"
                    conf_dir = "%1$s/net.d"
                  [plugins."io.containerd.grpc.v1.cri".registry]
                    config_path = "%1$s/containerd/certs.d"
                """.formatted(work, baseImage("pause")));
        Daemon containerd = started(Daemon.start(ledger, "containerd", List.of("containerd", "--config", config.toString()),
                logFile("containerd")));
        String[] last = {"no socket yet"};
        containerd.await("serving its socket", STARTUP, last, () -> {
            try {
                Process version = new ProcessBuilder("ctr", "--address", containerdSocket().toString(), "version")
                        .redirectErrorStream(true).start();
                last[0] = new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                return version.waitFor(5, TimeUnit.SECONDS) && version.exitValue() == 0;
            } catch (IOException e) {
                last[0] = e.toString();
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        });
    }

    // --- Kubernetes ---------------------------------------------------------------------------

    private void startControlPlane() {
        // Reach the kubelet (exec, logs) by the Node's IP: its name is in no DNS, and a lookup would leave the machine.
        kube = TestKubernetes.withControllerManager()
                .withApiServerFlags(List.of("--kubelet-preferred-address-types=InternalIP"))
                .start();
        // kube-api-test starts etcd and kube-apiserver as our children; record them for a cleanup after a crash.
        ProcessHandle.current().descendants()
                .filter(p -> p.info().command().map(c -> c.startsWith(binaries.directory().toString())).orElse(false))
                .forEach(p -> {
                    String name = Path.of(p.info().command().orElseThrow()).getFileName().toString();
                    ledger.recordProcess(name + "-" + p.pid(), p.pid());
                    // etcd's data and WAL live in temporary directories that only a clean stop removes.
                    String[] args = p.info().arguments().orElse(new String[0]);
                    for (int i = 0; i + 1 < args.length; i++) {
                        if (args[i].matches("--?(data|wal)-dir")) {
                            ledger.recordDirectory(name + args[i].replace("-", "") + "-" + p.pid(), Path.of(args[i + 1]));
                        }
                    }
                });
        ledger.recordDirectory("kube-test", kube.kubeconfigFile().getParent());
    }

    private void startScheduler() {
        int port = freePort();
        String kubeconfig = kube.kubeconfigFile().toString();
        Daemon scheduler = started(Daemon.start(ledger, "kube-scheduler", List.of(
                binaries.binary(KubeBinaries.KUBE_SCHEDULER).toString(),
                "--kubeconfig=" + kubeconfig,
                "--authentication-kubeconfig=" + kubeconfig,
                "--authorization-kubeconfig=" + kubeconfig,
                "--leader-elect=false",
                "--bind-address=127.0.0.1",
                "--secure-port=" + port,
                "--v=1"), logFile("kube-scheduler")));
        scheduler.awaitHealthy("https://127.0.0.1:" + port + "/healthz", STARTUP);
    }

    private void startKubelet() {
        Path work = ledger.workDir();
        int port = freePort();
        int healthzPort = freePort();
        Path config = write("kubelet/config.yaml", """
                apiVersion: kubelet.config.k8s.io/v1beta1
                kind: KubeletConfiguration
                address: %1$s
                port: %2$d
                readOnlyPort: 0
                healthzBindAddress: 127.0.0.1
                healthzPort: %3$d
                containerRuntimeEndpoint: unix://%4$s
                cgroupDriver: cgroupfs
                cgroupRoot: /%5$s
                failCgroupV1: false
                failSwapOn: false
                makeIPTablesUtilChains: false
                podLogsDir: %6$s
                authentication:
                  anonymous:
                    enabled: true
                  webhook:
                    enabled: false
                authorization:
                  mode: AlwaysAllow
                # Renew the node Lease every second: the controller manager's test settings call a node lost after 6 s.
                nodeLeaseDurationSeconds: 4
                nodeStatusUpdateFrequency: 2s
                syncFrequency: 5s
                serializeImagePulls: false
                evictionHard:
                  memory.available: "100Mi"
                  nodefs.available: "1%%"
                  imagefs.available: "1%%"
                  nodefs.inodesFree: "1%%"
                imageGCHighThresholdPercent: 99
                imageGCLowThresholdPercent: 98
                shutdownGracePeriod: 0s
                """.formatted(HOST_ADDRESS, port, healthzPort, containerdSocket(), HostLedger.CGROUP_ROOT, work.resolve("pod-logs")));
        KUBELET_SYSCTLS.forEach(ledger::saveSysctl);
        Daemon kubelet = started(Daemon.start(ledger, "kubelet", List.of(
                binaries.binary(KubeBinaries.KUBELET).toString(),
                "--config=" + config,
                "--kubeconfig=" + kube.kubeconfigFile(),
                "--root-dir=" + work.resolve("kubelet"),
                "--cert-dir=" + work.resolve("kubelet-pki"),
                "--hostname-override=" + NODE_NAME,
                "--node-ip=" + HOST_ADDRESS,
                "--v=1"), logFile("kubelet")));
        kubelet.awaitHealthy("http://127.0.0.1:" + healthzPort + "/healthz", STARTUP);
        String[] last = {"no Node yet"};
        kubelet.await("a Ready node", STARTUP, last, () -> {
            Node node = kube.client().nodes().withName(NODE_NAME).get();
            if (node == null || node.getStatus() == null || node.getStatus().getConditions() == null) {
                return false;
            }
            return node.getStatus().getConditions().stream().anyMatch(c -> {
                if ("Ready".equals(c.getType())) {
                    last[0] = "Ready=" + c.getStatus() + " " + c.getMessage();
                }
                return "Ready".equals(c.getType()) && "True".equals(c.getStatus());
            });
        });
    }

    /**
     * Runs the cluster until SIGTERM or Ctrl-C, printing how to reach it: the sandbox, and the tests that
     * kill a running cluster to prove the next start cleans up. The argument is the log directory.
     */
    public static void main(String[] args) throws InterruptedException {
        Path logs = Path.of(args.length > 0 ? args[0] : "local-cluster-logs");
        LocalCluster cluster = start(logs);
        java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            cluster.close();
            stopped.countDown();
        }, "local-cluster-stop"));
        System.out.println("local-cluster: ready");
        System.out.println("  KUBECONFIG=" + cluster.kubeconfig());
        System.out.println("  registry " + cluster.registry() + ", base images " + cluster.baseImage("jre") + ", " + cluster.baseImage("pause"));
        System.out.println("  PostgreSQL " + cluster.database().adminUrl() + " (user " + cluster.database().user() + "), from pods "
                + cluster.podJdbcUrl("postgres"));
        System.out.println("  logs in " + cluster.logDirectory());
        System.out.flush();
        stopped.await();
    }

    // --- what tests use -----------------------------------------------------------------------

    public KubernetesClient client() {
        return kube.client();
    }

    /** Admin kubeconfig for kubectl and for processes such as the operator. */
    public Path kubeconfig() {
        return kube.kubeconfigFile();
    }

    /** host:port of the local registry, for image names. */
    public String registry() {
        return "127.0.0.1:" + registryPort;
    }

    /** A base image the cluster pushed to its registry: {@code pause} or {@code jre}. */
    public String baseImage(String name) {
        return registry() + "/" + TEST_IMAGES_GROUP + "/" + name + ":latest";
    }

    /** The test PostgreSQL as the host sees it (127.0.0.1). */
    public PostgresServer database() {
        return postgres.server();
    }

    /** A JDBC URL for {@code database} as Pods reach it: through the bridge's host address. */
    public String podJdbcUrl(String database) {
        return "jdbc:postgresql://" + HOST_ADDRESS + ":" + postgres.port() + "/" + database;
    }

    public Path kubectlBinary() {
        return binaries.binary(KubeBinaries.KUBECTL);
    }

    /** Start-up time of each part, for the README's cold and warm figures. */
    public Map<String, Duration> timings() {
        return Map.copyOf(timings);
    }

    /** Where each component writes its log; kept after {@link #close()}. */
    public Path logDirectory() {
        return logDirectory;
    }

    /** Stops everything it started and removes what it made; problems are reported, never thrown. */
    @Override
    public void close() {
        if (kube != null) {
            // The kubelet first, so it does not restart what the cleanup removes.
            daemons.stream().filter(d -> d.name().equals("kubelet")).forEach(d -> d.stop(Duration.ofSeconds(5)));
            kube.close();
            kube = null;
        }
        for (int i = daemons.size() - 1; i >= 0; i--) {
            daemons.get(i).stop(Duration.ofSeconds(5));
        }
        daemons.clear();
        if (postgres != null) {
            postgres.stop();
            postgres = null;
        }
        if (lock != null) {
            List<String> problems = ledger.undoAll();
            if (!problems.isEmpty()) {
                System.err.println("local-cluster: could not undo everything:\n  " + String.join("\n  ", problems));
            }
            try {
                lock.release();
                lockChannel.close();
            } catch (IOException e) {
                System.err.println("local-cluster: releasing the lock: " + e);
            }
            lock = null;
        }
    }

    // --- helpers ------------------------------------------------------------------------------

    private Daemon started(Daemon daemon) {
        daemons.add(daemon);
        return daemon;
    }

    private Path containerdSocket() {
        return ledger.workDir().resolve("containerd.sock");
    }

    private Path logFile(String name) {
        return logDirectory().resolve(name + ".log");
    }

    private Path write(String relative, String content) {
        Path file = ledger.workDir().resolve(relative);
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, content);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private void timed(String what, Runnable step) {
        long begin = System.nanoTime();
        step.run();
        timings.put(what, Duration.ofMillis(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin)));
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }
}
