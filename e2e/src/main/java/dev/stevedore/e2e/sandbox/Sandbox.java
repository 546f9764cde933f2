package dev.stevedore.e2e.sandbox;

import dev.stevedore.e2e.cluster.LocalCluster;
import dev.stevedore.e2e.cluster.StevedoreImages;
import dev.stevedore.e2e.install.Helm;
import dev.stevedore.e2e.install.OperatorRelease;
import dev.stevedore.queue.JobClient;
import dev.stevedore.queue.JobFilter;
import dev.stevedore.queue.JobState;
import dev.stevedore.queue.JobView;
import dev.stevedore.queue.NewJob;
import dev.stevedore.queue.QueueAdmin;
import dev.stevedore.queue.QueueMigrator;
import dev.stevedore.queue.QueueSchema;
import dev.stevedore.queue.QueueStats;
import dev.stevedore.testkit.postgres.TestDatabase;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The README's main command ({@code bin/sandbox}): the local cluster, PostgreSQL, the operator installed by its chart,
 * a pool of 3 workers and a steady stream of demo jobs, shown as they run; after a while one worker is killed for
 * real (SIGKILL to its JVM, from the host) and the jobs it held are shown with their recorded cause. Ctrl-C (or
 * SIGTERM) tears everything down. Options: {@code --kill-after 40s} (0: never), {@code --stop-after 5m} (0: run until
 * stopped), {@code --logs DIR}.
 */
public final class Sandbox {

    static final String NAMESPACE = "sandbox";
    static final String POOL = "demo";
    private static final Duration REFRESH = Duration.ofSeconds(3);

    private final LocalCluster cluster;
    private final Path projectDir;
    private final PrintStream out;
    private final boolean terminal;
    private TestDatabase db;
    private String dashboardUrl;
    private String dashboardToken;
    private JobClient jobs;
    private QueueAdmin admin;
    private volatile boolean stopping;
    private final List<String> events = new ArrayList<>();

    private Sandbox(LocalCluster cluster, Path projectDir, PrintStream out, boolean terminal) {
        this.cluster = cluster;
        this.projectDir = projectDir;
        this.out = out;
        this.terminal = terminal;
    }

    public static void main(String[] args) throws Exception {
        Duration killAfter = Duration.ofSeconds(40);
        Duration stopAfter = Duration.ZERO;
        Path logs = Path.of("e2e/target/sandbox");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--kill-after" -> killAfter = duration(args[++i], "--kill-after");
                case "--stop-after" -> stopAfter = duration(args[++i], "--stop-after");
                case "--logs" -> logs = Path.of(args[++i]);
                default -> {
                    System.err.println("sandbox: unknown option '" + args[i] + "'; use --kill-after 40s, --stop-after 5m, --logs DIR");
                    System.exit(2);
                }
            }
        }
        Path projectDir = Path.of(System.getProperty("stevedore.project.dir", ".")).toAbsolutePath().normalize();
        String version = System.getProperty("stevedore.project.version");
        say("starting the local cluster (etcd, API server, controller manager, scheduler, containerd, kubelet, registry, PostgreSQL)");
        LocalCluster cluster = LocalCluster.start(logs);
        CountDownLatch stopped = new CountDownLatch(1);
        Sandbox sandbox = new Sandbox(cluster, projectDir, System.out, System.console() != null);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            sandbox.stopping = true;
            say("stopping: removing the cluster, its containers, cgroups, mounts and bridge");
            cluster.close();
            say("stopped; nothing is left running");
            stopped.countDown();
        }, "sandbox-stop"));
        try {
            sandbox.run(version, killAfter, stopAfter);
        } catch (RuntimeException e) {
            if (!sandbox.stopping) {
                System.err.println("sandbox: " + e.getMessage());
                System.exit(1);
            }
        }
        System.exit(0);
    }

    private void run(String version, Duration killAfter, Duration stopAfter) throws Exception {
        say("building the worker, operator and dashboard images with Jib and pushing them to " + cluster.registry());
        StevedoreImages images = StevedoreImages.build(cluster, projectDir, version);
        db = cluster.database().createDatabase("sandbox");
        QueueMigrator.migrate(db.dataSource(), QueueSchema.DEFAULT);
        jobs = new JobClient(db.dataSource(), QueueSchema.DEFAULT);
        admin = new QueueAdmin(db.dataSource(), QueueSchema.DEFAULT);
        String dashboardImage = images.dashboard();
        byte[] token = new byte[16];
        new SecureRandom().nextBytes(token);
        dashboardToken = HexFormat.of().formatHex(token);
        createSecrets(OperatorRelease.NAMESPACE, Map.of("stevedore-dashboard", Map.of("token", dashboardToken)));
        say("installing the operator and the dashboard with the Helm chart (helm install " + OperatorRelease.NAME + " helm/stevedore-operator -n "
                + OperatorRelease.NAMESPACE + " --set dashboard.enabled=true ...)");
        OperatorRelease.install(new Helm(projectDir), cluster, images, "dashboard.enabled=true",
                "dashboard.database.secretName=queue-db", "dashboard.auth.tokenSecretName=stevedore-dashboard",
                "dashboard.image.repository=" + dashboardImage.substring(0, dashboardImage.lastIndexOf(':')),
                "dashboard.image.tag=" + dashboardImage.substring(dashboardImage.lastIndexOf(':') + 1));
        dashboardUrl = cluster.client().pods().inNamespace(OperatorRelease.NAMESPACE).withLabel("app.kubernetes.io/name", "stevedore-dashboard")
                .list().getItems().stream().filter(Sandbox::ready).findFirst().map(p -> "http://" + p.getStatus().getPodIP() + ":8080")
                .orElse(null);
        say("the dashboard: " + dashboardUrl + "/ (sign in with the token " + dashboardToken + " to retry or discard)");
        applyPool(images.worker());
        say("applied the JobWorkerPool " + NAMESPACE + "/" + POOL + " (3 workers); waiting for them to be Ready");

        Thread producer = new Thread(this::produce, "sandbox-jobs");
        producer.setDaemon(true);
        producer.start();
        long begin = System.nanoTime();
        boolean killed = killAfter.isZero();
        while (!stopping && (stopAfter.isZero() || System.nanoTime() - begin < stopAfter.toNanos())) {
            show();
            if (!killed && System.nanoTime() - begin >= killAfter.toNanos() && killOneWorker()) {
                killed = true;
            }
            Thread.sleep(REFRESH.toMillis());
        }
        show();
    }

    /** The namespace, the database Secret (the keys a pool reads) and {@code more} Secrets in it. */
    private void createSecrets(String namespace, Map<String, Map<String, String>> more) {
        var client = cluster.client();
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).serverSideApply();
        Map<String, Map<String, String>> secrets = new java.util.LinkedHashMap<>(more);
        secrets.put("queue-db", cluster.podDatabaseSecret(db.name(), db.user()));
        secrets.forEach((name, data) -> client.resource(new SecretBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withStringData(data).build()).serverSideApply());
    }

    private void applyPool(String image) {
        var client = cluster.client();
        createSecrets(NAMESPACE, Map.of());
        client.resource("""
                apiVersion: stevedore.dev/v1alpha1
                kind: JobWorkerPool
                metadata:
                  name: %s
                  namespace: %s
                spec:
                  image: %s
                  replicas: 3
                  queues: [demo]
                  threads: 4
                  database: {secretName: queue-db}
                  heartbeatInterval: 1s
                  aliveThreshold: 5s
                  shutdownTimeout: 20s
                  drainTimeout: 10s
                  template:
                    env:
                      - {name: STEVEDORE_DEMO_HANDLERS, value: "true"}
                    resources:
                      requests: {cpu: 50m, memory: 256Mi}
                      limits: {memory: 384Mi}
                """.formatted(POOL, NAMESPACE, image)).serverSideApply();
    }

    /** About 8 jobs a second: sleeps of 0.2 to 3 s, and now and then one that fails and is retried. */
    private void produce() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (!stopping) {
            try {
                List<NewJob> batch = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    batch.add(NewJob.of("demo", "sleep").args("{\"ms\": " + random.nextInt(200, 3000) + "}").build());
                }
                if (random.nextInt(10) == 0) {
                    batch.add(NewJob.of("demo", "fail").args("{\"message\": \"a demo failure\"}").maxAttempts(2).build());
                }
                jobs.enqueueAll(batch);
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                event("enqueue failed: " + e.getMessage());
            }
        }
    }

    /**
     * SIGKILL, from the host, to the JVM of a worker that holds jobs: what the kernel's OOM killer does. Only once the
     * whole pool is Ready, so the pool is seen whole first.
     */
    private boolean killOneWorker() {
        List<Pod> pods = workerPods();
        if (pods.size() != 3 || !pods.stream().allMatch(Sandbox::ready)) {
            return false;
        }
        Set<Long> holding = admin.list(JobFilter.all().withStates(Set.of(JobState.RUNNING)).withLimit(1000)).stream()
                .map(JobView::claimedBy).filter(java.util.Objects::nonNull).collect(Collectors.toSet());
        Set<String> busyPods = admin.processes(NAMESPACE + "/" + POOL).stream().filter(p -> holding.contains(p.id()))
                .map(p -> p.pod()).collect(Collectors.toSet());
        for (Pod pod : pods) {
            if (!busyPods.contains(pod.getMetadata().getName())) {
                continue;
            }
            List<ContainerStatus> statuses = pod.getStatus().getContainerStatuses();
            long pid = cluster.containerPid(statuses.get(0).getContainerID());
            boolean sent = ProcessHandle.of(pid).map(ProcessHandle::destroyForcibly).orElse(false);
            if (sent) {
                event("killed worker " + pod.getMetadata().getName() + " (its JVM, host pid " + pid + ") with SIGKILL");
                return true;
            }
        }
        return false;
    }

    private void show() {
        StringBuilder screen = new StringBuilder();
        if (terminal) {
            screen.append("\033[H\033[2J");
        }
        screen.append("Stevedore sandbox   ").append(LocalTime.now().truncatedTo(ChronoUnit.SECONDS)).append("   (Ctrl-C stops and removes everything)\n\n");
        screen.append("$ kubectl get jwp -n ").append(NAMESPACE).append('\n').append(kubectl("get", "jwp", "-n", NAMESPACE)).append('\n');
        screen.append("$ kubectl get pods -n ").append(NAMESPACE).append(" -o wide\n").append(kubectl("get", "pods", "-n", NAMESPACE, "-o", "wide"))
                .append('\n');
        try {
            QueueStats stats = admin.stats();
            screen.append("jobs: ").append(stats.jobs().entrySet().stream().map(e -> e.getKey().name().toLowerCase() + " " + e.getValue())
                    .collect(Collectors.joining(", "))).append("; processes alive ").append(stats.aliveProcesses()).append('\n');
            List<JobView> pruned = admin.list(JobFilter.all().withStates(Set.of(JobState.FAILED)).withErrorClass("ProcessPrunedError").withLimit(5));
            if (!pruned.isEmpty()) {
                screen.append("\njobs of the killed worker, failed with ProcessPrunedError (newest first):\n");
                for (JobView job : pruned) {
                    JobView.JobError e = job.lastError();
                    screen.append("  job ").append(job.id()).append(": reason ").append(e.reason()).append(", pod ").append(e.pod())
                            .append(", node ").append(e.node()).append(", exit code ").append(e.exitCode()).append(" (").append(e.signal())
                            .append("), pruned at ").append(e.prunedAt()).append('\n');
                }
            }
        } catch (RuntimeException e) {
            screen.append("jobs: cannot read the database: ").append(e.getMessage()).append('\n');
        }
        screen.append(dashboardSays());
        synchronized (events) {
            if (!events.isEmpty()) {
                screen.append("\n").append(String.join("\n", events)).append('\n');
            }
        }
        screen.append("""

                Explore it from another shell:
                  export KUBECONFIG=%s
                  kubectl get jwp -A; kubectl describe jwp %s -n %s; kubectl get events -n %s
                  java -jar cli/target/stevedore.jar --db-url '%s' --db-user %s stats
                  java -jar cli/target/stevedore.jar --db-url '%s' --db-user %s jobs list --error ProcessPrunedError
                The dashboard (a browser on this machine): %s/ (sign in with the token %s to retry or discard)
                """.formatted(cluster.kubeconfig(), POOL, NAMESPACE, NAMESPACE, db.jdbcUrl(), db.user(), db.jdbcUrl(), db.user(), dashboardUrl,
                dashboardToken));
        out.print(screen);
        out.flush();
    }

    /** What the dashboard's Prunes page says, read as a browser reads it: the sandbox's kill shows up there too. */
    private String dashboardSays() {
        if (dashboardUrl == null) {
            return "";
        }
        try {
            java.net.http.HttpResponse<String> page = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(dashboardUrl + "/prunes")).timeout(Duration.ofSeconds(5)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            java.util.regex.Matcher total = java.util.regex.Pattern.compile("id=\"prune-total\"><strong>(\\d+)</strong>").matcher(page.body());
            return "\ndashboard " + dashboardUrl + "/prunes: " + (total.find() ? total.group(1) + " jobs pruned in the last 24h" : "no job pruned yet")
                    + " (HTTP " + page.statusCode() + ")\n";
        } catch (IOException e) {
            return "\ndashboard: cannot reach " + dashboardUrl + ": " + e.getMessage() + "\n";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static boolean ready(Pod pod) {
        List<ContainerStatus> statuses = pod.getStatus() == null ? null : pod.getStatus().getContainerStatuses();
        return statuses != null && !statuses.isEmpty() && statuses.get(0).getState().getRunning() != null
                && Boolean.TRUE.equals(statuses.get(0).getReady());
    }

    private List<Pod> workerPods() {
        return cluster.client().pods().inNamespace(NAMESPACE).withLabel("stevedore.dev/pool", POOL).list().getItems();
    }

    private String kubectl(String... args) {
        List<String> command = new ArrayList<>(List.of(cluster.kubectlBinary().toString(), "--kubeconfig=" + cluster.kubeconfig()));
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            process.waitFor(30, TimeUnit.SECONDS);
            return output;
        } catch (IOException e) {
            return "(kubectl: " + e.getMessage() + ")\n";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private void event(String message) {
        synchronized (events) {
            events.add(LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + " " + message);
        }
    }

    private static void say(String message) {
        System.out.println("sandbox: " + message);
        System.out.flush();
    }

    private static Duration duration(String text, String option) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)(s|m)").matcher(text);
        if (!m.matches()) {
            System.err.println("sandbox: " + option + " must be a duration like 40s or 5m, got '" + text + "'");
            System.exit(2);
        }
        long n = Long.parseLong(m.group(1));
        return m.group(2).equals("s") ? Duration.ofSeconds(n) : Duration.ofMinutes(n);
    }
}
