package dev.stevedore.e2e.cluster;

import dev.stevedore.testkit.kube.KubeBinaries;
import dev.stevedore.testkit.kube.ControllerManager;
import dev.stevedore.testkit.postgres.LocalPostgresCluster;
import dev.stevedore.testkit.postgres.PostgresLocator;
import dev.stevedore.testkit.postgres.PostgresServer;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
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
 * A real single-node Kubernetes on this machine, for tests and the sandbox: etcd, kube-apiserver (with its own
 * certificates and ServiceAccount admission, like any cluster), kube-controller-manager, kube-scheduler, containerd
 * with runc, and a kubelet that registers one Node; a bridge CNI network on a subnet of its own; a local OCI
 * registry on 127.0.0.1 that holds the base images and what Jib pushes; and a PostgreSQL that listens on the
 * bridge's host address, so Pods reach it.
 *
 * <p>Pods have no default route: they reach the host (PostgreSQL, and the API server at the {@code kubernetes}
 * Service's ClusterIP, which the host holds; the registry is reached by containerd on the host) and each other,
 * nothing else. There is no kube-proxy: no other Service's ClusterIP leads anywhere. Needs root, cgroup v1 or v2 with the cgroupfs driver, and the packages
 * {@code .ci/run} installs. Everything it changes on the host is written to a {@link HostLedger} first, and
 * {@link #close()} (or the next start, after a crash) undoes it.
 */
public final class LocalCluster implements AutoCloseable {

    public static final String NODE_NAME = "stevedore-node";
    public static final String NETWORK_NAME = "stevedore-e2e";
    /** The pods' subnet; the host side of the bridge is {@link #HOST_ADDRESS}. */
    public static final String POD_SUBNET = "10.213.0.0/24";
    public static final String HOST_ADDRESS = "10.213.0.1";
    /** The Services' subnet; the {@code kubernetes} Service gets its first address, which the host holds on the bridge. */
    public static final String SERVICE_SUBNET = "10.213.1.0/24";
    public static final String KUBERNETES_SERVICE_ADDRESS = "10.213.1.1";
    /** The API server's port: the {@code kubernetes} Service's own, so that Pods reach it at its ClusterIP without a proxy. */
    public static final int API_SERVER_PORT = 443;
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
    private KubernetesClient client;
    private Path kubeconfigFile;
    private List<String> kubeletCommand;
    private String kubeletHealthz;
    private int registryPort;

    private LocalCluster(Path workDir, KubeBinaries binaries, Path imageCache, Path logDirectory) {
        this.ledger = new HostLedger(workDir);
        this.binaries = binaries;
        this.imageCache = imageCache;
        this.logDirectory = logDirectory.toAbsolutePath();
    }

    /**
     * Stevedore's user cache ({@code ~/.cache/stevedore}): the work directory, so a later run finds an earlier
     * run's leftovers, and the tools the scripts of {@code e2e/bin} build.
     */
    public static Path cacheRoot() {
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
        timed("kubelet and a Ready node", this::configureAndStartKubelet);
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
        for (String subnet : List.of(POD_SUBNET, SERVICE_SUBNET)) {
            String routes = HostLedger.run(List.of("ip", "-4", "route", "show", "match", subnet), false).lines()
                    .filter(route -> !route.startsWith("default")).collect(java.util.stream.Collectors.joining("; "));
            if (!routes.isBlank()) {
                throw new IllegalStateException("the subnet " + subnet + " is already routed on this machine (" + routes.strip()
                        + "); the local cluster needs it for itself");
            }
        }
        HostLedger.run(List.of("ip", "link", "add", HostLedger.BRIDGE, "type", "bridge"), false);
        HostLedger.run(List.of("ip", "addr", "add", HOST_ADDRESS + "/24", "dev", HostLedger.BRIDGE), false);
        HostLedger.run(List.of("ip", "addr", "add", KUBERNETES_SERVICE_ADDRESS + "/32", "dev", HostLedger.BRIDGE), false);
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
        // No default route in the pods (isGateway false): they reach the host's addresses (its own, and the kubernetes Service's
        // ClusterIP, routed through it) and each other only.
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
                        "ranges": [[{"subnet": "%s", "gateway": "%5$s"}]],
                        "routes": [{"dst": "%6$s", "gw": "%5$s"}]
                      }
                    }
                  ]
                }
                """.formatted(NETWORK_NAME, HostLedger.BRIDGE, work.resolve("cni-ipam"), POD_SUBNET, HOST_ADDRESS, SERVICE_SUBNET));
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

    /**
     * etcd, kube-apiserver and kube-controller-manager, started here rather than through kube-api-test, whose
     * fixed flags turn ServiceAccount admission off: Pods here get their ServiceAccount's token and the cluster's
     * CA like on any cluster, so the operator runs in a Pod with the chart's RBAC and nothing special.
     */
    private void startControlPlane() {
        Path work = ledger.workDir();
        ClusterPki pki = ClusterPki.create(work.resolve("pki"), List.of("127.0.0.1", HOST_ADDRESS, KUBERNETES_SERVICE_ADDRESS));
        int etcdPort = freePort();
        int etcdPeerPort = freePort();
        String etcdUrl = "http://127.0.0.1:" + etcdPort;
        Daemon etcd = started(Daemon.start(ledger, "etcd", List.of(
                binaries.binary(KubeBinaries.ETCD).toString(),
                "--name=" + NETWORK_NAME,
                "--data-dir=" + work.resolve("etcd"),
                "--listen-client-urls=" + etcdUrl,
                "--advertise-client-urls=" + etcdUrl,
                "--listen-peer-urls=http://127.0.0.1:" + etcdPeerPort,
                "--initial-advertise-peer-urls=http://127.0.0.1:" + etcdPeerPort,
                "--initial-cluster=" + NETWORK_NAME + "=http://127.0.0.1:" + etcdPeerPort,
                // A throwaway cluster: losing it in a power cut loses nothing.
                "--unsafe-no-fsync=true",
                "--log-level=warn"), logFile("etcd")));
        etcd.awaitHealthy(etcdUrl + "/health", STARTUP);

        requireFreePort(API_SERVER_PORT);
        Daemon apiServer = started(Daemon.start(ledger, "kube-apiserver", List.of(
                binaries.binary(KubeBinaries.KUBE_APISERVER).toString(),
                "--etcd-servers=" + etcdUrl,
                // Port 443 on every address: the kubernetes Service's ClusterIP (on the bridge) is reached without a
                // kube-proxy, as the Service's own port.
                "--bind-address=0.0.0.0",
                "--secure-port=" + API_SERVER_PORT,
                "--advertise-address=" + HOST_ADDRESS,
                "--service-cluster-ip-range=" + SERVICE_SUBNET,
                "--tls-cert-file=" + pki.apiServerCertificate(),
                "--tls-private-key-file=" + pki.apiServerKey(),
                "--client-ca-file=" + pki.caCertificate(),
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                "--service-account-key-file=" + pki.serviceAccountKey(),
                "--service-account-signing-key-file=" + pki.serviceAccountKey(),
                "--authorization-mode=Node,RBAC",
                "--allow-privileged=true",
                // Reach the kubelet (exec, logs) by the Node's IP: its name is in no DNS, and a lookup would leave the machine.
                "--kubelet-preferred-address-types=InternalIP",
                "--v=1"), logFile("kube-apiserver")));
        apiServer.awaitHealthy("https://127.0.0.1:" + API_SERVER_PORT + "/readyz", STARTUP);

        kubeconfigFile = write("kubeconfig.yaml", pki.adminKubeconfig("https://127.0.0.1:" + API_SERVER_PORT));
        ownerOnly(kubeconfigFile); // it holds a system:masters key
        client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(readString(kubeconfigFile))).build();
        String[] last = {"no default namespace yet"};
        apiServer.await("serving the default namespace", STARTUP, last, () -> client.namespaces().withName("default").get() != null);

        int managerPort = freePort();
        List<String> controllers = new ArrayList<>(ControllerManager.CONTROLLERS);
        // What ServiceAccount admission needs in every namespace: the default ServiceAccount and the CA's ConfigMap.
        controllers.addAll(List.of("serviceaccount-controller", "root-ca-certificate-publisher-controller"));
        // Services' EndpointSlices, as a Service of the chart (the dashboard's) gets them in any cluster.
        controllers.add("endpointslice-controller");
        Daemon manager = started(Daemon.start(ledger, "kube-controller-manager", List.of(
                binaries.binary(KubeBinaries.KUBE_CONTROLLER_MANAGER).toString(),
                "--kubeconfig=" + kubeconfigFile,
                "--authentication-kubeconfig=" + kubeconfigFile,
                "--authorization-kubeconfig=" + kubeconfigFile,
                "--leader-elect=false",
                "--use-service-account-credentials=false",
                "--controllers=" + String.join(",", controllers),
                "--root-ca-file=" + pki.caCertificate(),
                "--bind-address=127.0.0.1",
                "--secure-port=" + managerPort,
                // Fast node-loss detection for tests; the kubelet renews its Lease every second.
                "--node-monitor-period=1s",
                "--node-monitor-grace-period=6s",
                "--node-startup-grace-period=10s",
                "--kube-api-qps=100",
                "--kube-api-burst=200",
                "--v=1"), logFile("kube-controller-manager")));
        manager.awaitHealthy("https://127.0.0.1:" + managerPort + "/healthz", STARTUP);
        // Pods are refused until their namespace has its default ServiceAccount; the CA's ConfigMap comes with it.
        String[] missing = {"no default ServiceAccount yet"};
        manager.await("serving ServiceAccounts", STARTUP, missing, () -> {
            boolean account = client.serviceAccounts().inNamespace("default").withName("default").get() != null;
            boolean ca = client.configMaps().inNamespace("default").withName("kube-root-ca.crt").get() != null;
            missing[0] = "default ServiceAccount " + (account ? "present" : "missing") + ", kube-root-ca.crt " + (ca ? "present" : "missing");
            return account && ca;
        });
    }

    private void startScheduler() {
        int port = freePort();
        String kubeconfig = kubeconfigFile.toString();
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

    private void configureAndStartKubelet() {
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
                """.formatted(HOST_ADDRESS, port, healthzPort, containerdSocket(), HostLedger.CGROUP_ROOT, podLogDirectory()));
        KUBELET_SYSCTLS.forEach(ledger::saveSysctl);
        kubeletCommand = List.of(
                binaries.binary(KubeBinaries.KUBELET).toString(),
                "--config=" + config,
                "--kubeconfig=" + kubeconfigFile,
                "--root-dir=" + work.resolve("kubelet"),
                "--cert-dir=" + work.resolve("kubelet-pki"),
                "--hostname-override=" + NODE_NAME,
                "--node-ip=" + HOST_ADDRESS,
                "--v=1");
        kubeletHealthz = "http://127.0.0.1:" + healthzPort + "/healthz";
        launchKubelet();
    }

    /**
     * Stops the kubelet, as a node that loses its agent or its network: the containers keep running, the Node's Lease
     * is no longer renewed, and nothing on this node is reported to the API server until {@link #startKubelet()}.
     */
    public synchronized void stopKubelet() {
        for (Daemon daemon : List.copyOf(daemons)) {
            if (daemon.name().equals("kubelet")) {
                daemon.stop(Duration.ofSeconds(10));
                daemons.remove(daemon);
            }
        }
    }

    /** Starts the kubelet again with its settings; it takes back the running containers. Returns once the Node is Ready. */
    public synchronized void startKubelet() {
        launchKubelet();
    }

    /** Freezes a process's cgroup (the cgroup freezer): it lives, holds its connections, and does nothing, as on a lost node. */
    public void freeze(long pid) {
        Cgroups.freeze(pid, true);
    }

    public void thaw(long pid) {
        Cgroups.freeze(pid, false);
    }

    private void launchKubelet() {
        Daemon kubelet = started(Daemon.start(ledger, "kubelet", kubeletCommand, logFile("kubelet")));
        kubelet.awaitHealthy(kubeletHealthz, STARTUP);
        String[] last = {"no Node yet"};
        kubelet.await("a Ready node", STARTUP, last, () -> {
            Node node = client.nodes().withName(NODE_NAME).get();
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
        return client;
    }

    /** Admin kubeconfig for kubectl and for processes such as the operator. */
    public Path kubeconfig() {
        return kubeconfigFile;
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

    /** Stops PostgreSQL (fast shutdown: sessions are cut), as a failover or a restart would. */
    public void stopDatabase() {
        postgres.stopServer();
    }

    /** Starts PostgreSQL again, on the same port and data; its new pid goes into the ledger. */
    public void startDatabase() {
        postgres.startServer();
        ledger.recordProcess("postgres", postgres.serverPid());
    }

    /** A JDBC URL for {@code database} as Pods reach it: through the bridge's host address. */
    public String podJdbcUrl(String database) {
        return "jdbc:postgresql://" + HOST_ADDRESS + ":" + postgres.port() + "/" + database;
    }

    /**
     * A database Secret's data with the keys a pool (and the dashboard) reads, for {@code database} as Pods reach it. The
     * pod network's clients are trusted by this PostgreSQL; the password only has to be there.
     */
    public Map<String, String> podDatabaseSecret(String database, String user) {
        return Map.of("jdbc-uri", podJdbcUrl(database), "username", user, "password", "unused-on-this-network");
    }

    /**
     * The host pid of a container's process (for a worker, its JVM), from runc's own state: what the scenarios and
     * the sandbox send real signals to, from the host, as the kernel's OOM killer or an operator with a shell would.
     * {@code containerId} is a Pod's {@code containerStatuses[].containerID} ({@code containerd://<id>}).
     */
    public long containerPid(String containerId) {
        String id = containerId.replaceFirst("^[a-z]+://", "");
        String state = HostLedger.run(List.of("runc", "--root", ledger.workDir().resolve("runc/k8s.io").toString(), "state", id), false);
        java.util.regex.Matcher pid = java.util.regex.Pattern.compile("\"pid\":\\s*(\\d+)").matcher(state);
        if (!pid.find() || Long.parseLong(pid.group(1)) <= 0) {
            throw new IllegalStateException("container " + id + " has no running process: " + state.strip());
        }
        return Long.parseLong(pid.group(1));
    }

    public Path kubectlBinary() {
        return binaries.binary(KubeBinaries.KUBECTL);
    }

    /** Start-up time of each part, for the README's cold and warm figures. */
    public Map<String, Duration> timings() {
        return Map.copyOf(timings);
    }

    /** The kubelet's container logs: {@code <namespace>_<pod>_<uid>/<container>/<restart>.log}, gone with their Pod. */
    public Path podLogDirectory() {
        return ledger.workDir().resolve("pod-logs");
    }

    /** Where each component writes its log; kept after {@link #close()}. */
    public Path logDirectory() {
        return logDirectory;
    }

    /** Stops everything it started and removes what it made; problems are reported, never thrown. */
    @Override
    public synchronized void close() {
        // The kubelet first, so it does not restart what the cleanup removes.
        daemons.stream().filter(d -> d.name().equals("kubelet")).forEach(d -> d.stop(Duration.ofSeconds(5)));
        if (client != null) {
            client.close();
            client = null;
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

    private static void ownerOnly(Path file) {
        try {
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot restrict " + file, e);
        }
    }

    private static String readString(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static void requireFreePort(int port) {
        try (ServerSocket socket = new ServerSocket(port)) {
            socket.setReuseAddress(true);
        } catch (IOException e) {
            throw new IllegalStateException("port " + port + " is taken on this machine (" + e.getMessage() + "); the local cluster's API server"
                    + " serves there, as the kubernetes Service's port, so that Pods reach it without a proxy. Stop what listens there.");
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }
}
