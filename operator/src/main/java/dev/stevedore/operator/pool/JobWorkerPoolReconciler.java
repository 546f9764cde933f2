package dev.stevedore.operator.pool;

import dev.stevedore.operator.model.DatabaseSpec;
import dev.stevedore.operator.prune.DatabaseConnections;
import dev.stevedore.operator.prune.PodTracker;
import dev.stevedore.operator.prune.PoolPruning;
import dev.stevedore.queue.Errors;
import dev.stevedore.queue.QueueAdmin;
import dev.stevedore.queue.QueueException;
import dev.stevedore.queue.QueuePause;
import dev.stevedore.queue.QueueSchema;
import dev.stevedore.queue.QueueStats;
import dev.stevedore.queue.Schedule;
import dev.stevedore.queue.ScheduleView;
import dev.stevedore.queue.Schedules;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Inject;
import java.util.HashMap;
import dev.stevedore.operator.model.JobWorkerPool;
import dev.stevedore.operator.model.JobWorkerPoolStatus;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Constants;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.quarkiverse.operatorsdk.annotations.RBACRule;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Reconciles a JobWorkerPool: checks what the schema cannot (durations that fit together, the database
 * Secret and its keys), applies the worker Deployment, and writes the status. An invalid pool is reported
 * in its Degraded condition and a Warning event; its existing Deployment is left as it was.
 */
@ControllerConfiguration(name = JobWorkerPoolReconciler.NAME)
@Workflow(explicitInvocation = true, dependents = {
        @Dependent(name = "deployment", type = WorkerDeployment.class),
        @Dependent(name = "disruption-budget", type = WorkerDisruptionBudget.class, reconcilePrecondition = WorkerDisruptionBudget.Wanted.class)})
@RBACRule(apiGroups = "", resources = "secrets", verbs = {"get"})
@RBACRule(apiGroups = "", resources = "events", verbs = {"create", "patch"})
@RBACRule(apiGroups = "", resources = "pods", verbs = {"get", "list", "watch"})
// Nodes are cluster-scoped and read one by one for their Ready condition: the only rule a namespaced install keeps cluster-wide.
@RBACRule(apiGroups = "", resources = "nodes", verbs = {"get"})
public class JobWorkerPoolReconciler implements Reconciler<JobWorkerPool> {

    public static final String NAME = "jobworkerpool";
    private static final Logger LOG = Logger.getLogger(JobWorkerPoolReconciler.class);
    private static final Duration RECHECK_INVALID = Duration.ofSeconds(30);
    private static final Duration RECHECK_MAX = Duration.ofSeconds(30);
    private static final Duration RECHECK_MIN = Duration.ofMillis(500);
    private static final Duration RECHECK_DATABASE_DOWN = Duration.ofSeconds(5);

    @Inject
    DatabaseConnections databases;

    @Inject
    MeterRegistry metrics;

    @Inject
    PoolMetrics poolMetrics;

    private volatile PodTracker pods;

    @Override
    public List<EventSource<?, JobWorkerPool>> prepareEventSources(EventSourceContext<JobWorkerPool> context) {
        pods = new PodTracker(context);
        // A deleted pool is never reconciled again (no finalizer): its gauges go when it leaves the informer's cache.
        poolMetrics.keepOnly(() -> context.getPrimaryCache().list().map(JobWorkerPoolReconciler::poolName).collect(Collectors.toSet()));
        return List.of(pods);
    }

    @Override
    public UpdateControl<JobWorkerPool> reconcile(JobWorkerPool pool, Context<JobWorkerPool> context) {
        metrics.counter("stevedore.operator.reconciles").increment();
        if (pool.getSpec() == null) {
            // Nothing to build from; the schema cannot require spec itself. Reported like any invalid pool.
            List<String> problems = List.of("spec: missing; a JobWorkerPool needs at least spec.image and spec.database.secretName");
            reportInvalid(pool, problems, context.getClient());
            writeStatus(pool, PoolStatus.build(pool, context.getSecondaryResource(Deployment.class), problems, PoolStatus.Workers.unknown(),
                    List.of()), context);
            return UpdateControl.<JobWorkerPool>noUpdate().rescheduleAfter(RECHECK_INVALID);
        }
        String poolName = poolName(pool);
        PoolSettings settings = PoolSettings.of(pool.getSpec());
        List<String> problems = new ArrayList<>(settings.problems());
        // Read once per reconcile: checked here, then used for the database connection.
        Secret secret = null;
        try {
            secret = readSecret(pool, context.getClient());
            problems.addAll(secretProblems(pool, secret));
        } catch (KubernetesClientException e) {
            problems.add("spec.database.secretName: cannot read Secret '" + pool.getSpec().getDatabase().getSecretName() + "': " + e.getMessage());
        }
        Optional<Deployment> deployment;
        PoolStatus.Workers workers = PoolStatus.Workers.unknown();
        Duration recheck = RECHECK_INVALID;
        List<JobWorkerPoolStatus.ScheduleState> schedules = pool.getStatus() == null ? List.of() : pool.getStatus().getSchedules();
        if (problems.isEmpty()) {
            context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow();
            deployment = context.getSecondaryResource(Deployment.class);
            Instant started = Instant.now();
            try {
                PoolPruning.Round round = pruneDeadWorkers(pool, context, secret);
                workers = new PoolStatus.Workers(true, "the queue database answers", round.aliveProcesses(), records(round));
                // Read at least every third of an alive threshold: a worker starting now is seen in time, and the
                // reads are close enough together to tell a settled database from one that was away in between.
                Duration cadence = settings.aliveThreshold().dividedBy(3);
                recheck = round.recheckAt() == null ? clamp(cadence)
                        : clamp(min(cadence, Duration.between(started, round.recheckAt()).plus(Duration.ofMillis(100))));
            } catch (QueueException | DatabaseConnections.Unresolvable e) {
                // Uncertain facts: no prune while the database cannot be read.
                poolMetrics.databaseError(poolName);
                workers = new PoolStatus.Workers(false, "cannot read the queue database, so nothing is pruned: " + Errors.rootMessage(e),
                        null, List.of());
                recheck = RECHECK_DATABASE_DOWN;
            }
        } else {
            deployment = context.getSecondaryResource(Deployment.class);
            reportInvalid(pool, problems, context.getClient());
        }
        if (workers.databaseReachable()) {
            schedules = syncSchedules(pool, context.getClient(), secret, settings.schedules(), schedules);
            deleteSchedulesOfDeletedPools(pool, secret, context);
        }
        JobWorkerPoolStatus status = PoolStatus.build(pool, deployment, problems, workers, schedules);
        int desired = pool.getSpec().getReplicas() == null ? 1 : pool.getSpec().getReplicas();
        // The database is reported only when it was read: an invalid spec says nothing about it.
        Boolean reachable = workers.databaseMessage() == null ? null : workers.databaseReachable();
        poolMetrics.record(poolName, desired, status.getReadyReplicas(), workers.aliveProcesses(), reachable);
        writeStatus(pool, status, context);
        if (workers.databaseReachable()) {
            // After the status: the depth read must never delay a prune's record.
            recordQueueDepths(pool, secret);
        }
        // Heartbeats age without any event: look again when the next verdict is due.
        return UpdateControl.<JobWorkerPool>noUpdate().rescheduleAfter(recheck);
    }

    /** Writes the status if it changed. */
    private static void writeStatus(JobWorkerPool pool, JobWorkerPoolStatus status, Context<JobWorkerPool> context) {
        if (sameStatus(pool.getStatus(), status)) {
            return;
        }
        JobWorkerPool patch = new JobWorkerPool();
        patch.getMetadata().setName(pool.getMetadata().getName());
        patch.getMetadata().setNamespace(pool.getMetadata().getNamespace());
        patch.setStatus(status);
        // The status accumulates (prunedTotal, recentPrunes), so the next reconcile must start from this one. A plain
        // patchStatus does not wait for the informer: a reconcile right after it (the killed worker's Pod changes
        // several times in a second) read the old status and wrote the prune away. This write returns once the
        // cache holds its result. (On a conflict, JOSDK applies the same status to the newer object.)
        PrimaryUpdateAndCacheUtils.ssaPatchStatusAndCacheResource(pool, patch, context);
    }

    /**
     * Queue depth for the metrics, at most every {@link PoolMetrics#DEPTH_INTERVAL}, failed reads included (a read that
     * keeps failing is not retried on every reconcile); a failed read only leaves the last values.
     */
    private void recordQueueDepths(JobWorkerPool pool, Secret secret) {
        String poolName = poolName(pool);
        if (!poolMetrics.takeDepthRead(poolName)) {
            return;
        }
        try {
            DataSource dataSource = databases.forPool(pool, secret).dataSource();
            QueueSchema schema = new QueueSchema(pool.getSpec().getDatabase().getSchema());
            List<String> queues = pool.getSpec().getQueues() == null ? List.of("*") : pool.getSpec().getQueues();
            QueueAdmin admin = new QueueAdmin(dataSource, schema);
            Map<String, QueueStats.QueueDepth> depths = admin.queueDepths();
            Set<String> paused;
            try {
                paused = admin.pausedQueues().stream().map(QueuePause::queue).collect(Collectors.toSet());
            } catch (QueueException e) {
                paused = Set.of(); // a schema from before pauses (V5), whose workers have not migrated it yet
            }
            poolMetrics.recordDepths(poolName, queues, depths, paused);
        } catch (RuntimeException e) {
            LOG.debugf("pool %s: queue depth not read: %s", poolName, Errors.rootMessage(e));
        }
    }

    /**
     * Makes the pool's schedules in the queue database those of its spec (one removed from the spec is deleted there), and
     * reads back each one's last and next run for the status. A name another declares is not taken: its entry says so,
     * with a Warning event the first time.
     */
    private List<JobWorkerPoolStatus.ScheduleState> syncSchedules(JobWorkerPool pool, KubernetesClient client, Secret secret,
                                                                  List<Schedule> wanted, List<JobWorkerPoolStatus.ScheduleState> previous) {
        // Even with none in the spec or the status: rows of a pool of the same name deleted before, say, go here.
        String poolName = poolName(pool);
        Map<String, String> previousErrors = new HashMap<>();
        previous.forEach(p -> previousErrors.put(p.getName(), p.getError()));
        List<JobWorkerPoolStatus.ScheduleState> states = new ArrayList<>();
        Schedules.PoolSync sync;
        try {
            DataSource dataSource = databases.forPool(pool, secret).dataSource();
            sync = new Schedules(dataSource, new QueueSchema(pool.getSpec().getDatabase().getSchema())).syncPool(poolName, wanted);
        } catch (RuntimeException e) {
            // Unreachable, a schema from before schedules (V8), or a row this version cannot read.
            String error = "not written to the queue database: " + Errors.rootMessage(e);
            if (wanted.isEmpty()) {
                LOG.debugf("pool %s: schedules %s", poolName, error);
            } else {
                LOG.warnf("pool %s: schedules %s", poolName, error);
            }
            for (Schedule s : wanted) {
                states.add(scheduleState(s.name(), null, error));
            }
            return states;
        }
        for (String name : sync.deleted()) {
            LOG.infof("pool %s: schedule %s deleted, it left the spec", poolName, name);
            Events.emit(client, pool, "Normal", "ScheduleDeleted", "schedule " + name + " left spec.schedules and was deleted");
        }
        Map<String, ScheduleView> views = sync.schedules().stream().collect(Collectors.toMap(v -> v.schedule().name(), v -> v));
        Map<String, Schedules.Conflict> conflicts = sync.conflicts().stream().collect(Collectors.toMap(Schedules.Conflict::name, c -> c));
        for (Schedule s : wanted) {
            Schedules.Conflict conflict = conflicts.get(s.name());
            String error = conflict == null ? null : "the name is taken by " + conflict.declaredBy() + ": rename this schedule, or delete the other";
            if (error != null && !error.equals(previousErrors.get(s.name()))) {
                Events.warning(client, pool, "ScheduleConflict", "spec.schedules '" + s.name() + "': " + error);
            }
            states.add(scheduleState(s.name(), views.get(s.name()), error));
        }
        return states;
    }

    /**
     * Pools keep no finalizer, so a deleted pool's schedules are deleted here: those of a pool in a namespace this operator
     * watches that its cache does not hold. The cache is asked after the schedules are read: a pool is in the cache
     * before its first reconcile writes any.
     */
    private void deleteSchedulesOfDeletedPools(JobWorkerPool pool, Secret secret, Context<JobWorkerPool> context) {
        Set<String> watched = context.getControllerConfiguration().getEffectiveNamespaces();
        boolean all = watched.contains(Constants.WATCH_ALL_NAMESPACES);
        try {
            DataSource dataSource = databases.forPool(pool, secret).dataSource();
            Map<String, List<String>> deleted = new Schedules(dataSource, new QueueSchema(pool.getSpec().getDatabase().getSchema()))
                    .deletePoolsGone(owner -> {
                        int slash = owner.indexOf('/');
                        if (slash <= 0) {
                            return false; // not a pool's name as the operator writes it
                        }
                        String namespace = owner.substring(0, slash);
                        return (all || watched.contains(namespace))
                                && context.getPrimaryCache().get(new ResourceID(owner.substring(slash + 1), namespace)).isEmpty();
                    });
            deleted.forEach((owner, names) -> LOG.infof("deleted schedules %s of JobWorkerPool %s, which no longer exists", names, owner));
        } catch (RuntimeException e) {
            LOG.debugf("pool %s: schedules of deleted pools not looked for: %s", poolName(pool), Errors.rootMessage(e));
        }
    }

    private static JobWorkerPoolStatus.ScheduleState scheduleState(String name, ScheduleView view, String error) {
        JobWorkerPoolStatus.ScheduleState state = new JobWorkerPoolStatus.ScheduleState();
        state.setName(name);
        state.setError(error);
        if (view != null) {
            state.setNextRunAt(view.nextRunAt().toString());
            state.setLastRunAt(view.lastRunAt() == null ? null : view.lastRunAt().toString());
            state.setLastJobId(view.lastJobId());
            state.setLastJobState(view.lastJobState() == null ? null : view.lastJobState().dbName());
        }
        return state;
    }

    private PoolPruning.Round pruneDeadWorkers(JobWorkerPool pool, Context<JobWorkerPool> context, Secret secret) {
        KubernetesClient client = context.getClient();
        ResourceID id = ResourceID.fromResource(pool);
        DatabaseConnections.PoolDatabase database = databases.forPool(pool, secret);
        Map<String, Boolean> nodes = new HashMap<>();
        PoolPruning.Round round = PoolPruning.run(poolName(pool),
                database.dataSource(), database.health(), new QueueSchema(pool.getSpec().getDatabase().getSchema()), List.copyOf(context.getSecondaryResources(Pod.class)),
                pods.deletedPods(id), node -> nodes.computeIfAbsent(node, n -> nodeReady(client, n)));
        pods.forgetExcept(id, round.referencedPodUids());
        for (PoolPruning.Pruned p : round.pruned()) {
            var process = p.process();
            String where = (process.pod() != null ? "pod " + process.pod() : process.host() + " pid " + process.pid())
                    + (process.node() != null ? " on node " + process.node() : "");
            String message = "pruned process " + process.processId() + " (" + where + "): " + p.verdict().reason()
                    + (p.verdict().exitCode() != null ? ", exit code " + p.verdict().exitCode() : "") + "; " + process.failedJobIds().size()
                    + " jobs failed " + process.failedJobIds() + ", " + process.retriedJobIds().size() + " retried " + process.retriedJobIds();
            LOG.warnf("pool %s/%s: %s", pool.getMetadata().getNamespace(), pool.getMetadata().getName(), message);
            Events.emit(client, pool, "Warning", "ProcessPruned", message);
            poolMetrics.pruned(poolName(pool), p.verdict().reason(), process.failedJobIds().size(), process.retriedJobIds().size());
            Timer.builder("stevedore.operator.prune.latency").description("from the evidence of death (Pod event or stale heartbeat) to the committed prune")
                    .publishPercentileHistogram().register(metrics).record(Duration.between(p.evidenceAt(), Instant.now()));
        }
        return round;
    }

    private static List<JobWorkerPoolStatus.PruneRecord> records(PoolPruning.Round round) {
        List<JobWorkerPoolStatus.PruneRecord> records = new ArrayList<>();
        for (PoolPruning.Pruned p : round.pruned()) {
            JobWorkerPoolStatus.PruneRecord r = new JobWorkerPoolStatus.PruneRecord();
            r.setPod(p.process().pod());
            r.setNode(p.process().node());
            r.setReason(p.verdict().reason());
            r.setProcessId(p.process().processId());
            List<Long> jobs = new ArrayList<>(p.process().failedJobIds());
            jobs.addAll(p.process().retriedJobIds());
            r.setJobIds(jobs);
            r.setTime(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
            records.add(r);
        }
        return records;
    }

    /** The node's Ready condition: true, false, or null when unknown (no such node, or status Unknown). */
    private static Boolean nodeReady(KubernetesClient client, String name) {
        try {
            Node node = client.nodes().withName(name).get();
            if (node == null || node.getStatus() == null || node.getStatus().getConditions() == null) {
                return null;
            }
            return node.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType())).findFirst()
                    .map(c -> "True".equals(c.getStatus()) ? Boolean.TRUE : "False".equals(c.getStatus()) ? Boolean.FALSE : null).orElse(null);
        } catch (KubernetesClientException e) {
            return null;
        }
    }

    /** How pools are named in metrics and on process rows: {@code namespace/name}. */
    static String poolName(JobWorkerPool pool) {
        return pool.getMetadata().getNamespace() + "/" + pool.getMetadata().getName();
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static Duration clamp(Duration d) {
        return d.compareTo(RECHECK_MIN) < 0 ? RECHECK_MIN : d.compareTo(RECHECK_MAX) > 0 ? RECHECK_MAX : d;
    }


    private static Secret readSecret(JobWorkerPool pool, KubernetesClient client) {
        return client.secrets().inNamespace(pool.getMetadata().getNamespace()).withName(pool.getSpec().getDatabase().getSecretName()).get();
    }

    private static List<String> secretProblems(JobWorkerPool pool, Secret secret) {
        DatabaseSpec db = pool.getSpec().getDatabase();
        String ns = pool.getMetadata().getNamespace();
        if (secret == null) {
            return List.of("spec.database.secretName: Secret '" + db.getSecretName() + "' not found in namespace " + ns
                    + "; create it with the key " + db.getUrlKey() + " (a JDBC URL), or fix the name");
        }
        Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
        Map<String, String> stringData = secret.getStringData() == null ? Map.of() : secret.getStringData();
        if (!data.containsKey(db.getUrlKey()) && !stringData.containsKey(db.getUrlKey())) {
            return List.of("spec.database.urlKey: Secret '" + db.getSecretName() + "' has no key '" + db.getUrlKey()
                    + "' (keys: " + String.join(", ", data.keySet()) + "); set spec.database.urlKey to the key holding the JDBC URL");
        }
        String url = DatabaseConnections.secretValue(secret, db.getUrlKey());
        if (url == null || !url.startsWith("jdbc:postgresql://")) {
            // The value is never quoted: a CloudNativePG jdbc-uri carries the password.
            return List.of("spec.database.urlKey: the value of key '" + db.getUrlKey() + "' in Secret '" + db.getSecretName()
                    + "' is not a PostgreSQL JDBC URL; it must start with jdbc:postgresql:// (CloudNativePG's jdbc-uri key holds one)");
        }
        return List.of();
    }

    /** A Warning event, once per distinct problem (not on every reconcile). */
    private static void reportInvalid(JobWorkerPool pool, List<String> problems, KubernetesClient client) {
        String message = String.join("; ", problems);
        boolean known = PoolStatus.find(pool.getStatus(), PoolStatus.DEGRADED)
                .map(c -> "True".equals(c.getStatus()) && message.equals(c.getMessage())).orElse(false);
        if (known) {
            return;
        }
        LOG.warnf("pool %s/%s is invalid: %s", pool.getMetadata().getNamespace(), pool.getMetadata().getName(), message);
        Events.warning(client, pool, "InvalidSpec", message);
    }

    private static boolean sameStatus(JobWorkerPoolStatus a, JobWorkerPoolStatus b) {
        if (a == null) {
            return false;
        }
        return Objects.equals(a.getObservedGeneration(), b.getObservedGeneration())
                && Objects.equals(a.getAliveProcesses(), b.getAliveProcesses())
                && Objects.equals(a.getPrunedTotal(), b.getPrunedTotal())
                && Objects.equals(a.getReplicas(), b.getReplicas())
                && Objects.equals(a.getReadyReplicas(), b.getReadyReplicas())
                && Objects.equals(a.getSelector(), b.getSelector())
                && Objects.equals(a.getConditions(), b.getConditions())
                && Objects.equals(a.getSchedules(), b.getSchedules());
    }

    /** Kubernetes Events about a pool. */
    static final class Events {
        private Events() {}

        static void warning(KubernetesClient client, JobWorkerPool pool, String reason, String message) {
            emit(client, pool, "Warning", reason, message);
        }

        static void emit(KubernetesClient client, JobWorkerPool pool, String type, String reason, String message) {
            String now = Instant.now().toString();
            try {
                client.v1().events().inNamespace(pool.getMetadata().getNamespace()).resource(new EventBuilder()
                        .withNewMetadata().withGenerateName(pool.getMetadata().getName() + "-").endMetadata()
                        .withInvolvedObject(new ObjectReferenceBuilder().withApiVersion(pool.getApiVersion()).withKind(pool.getKind())
                                .withName(pool.getMetadata().getName()).withNamespace(pool.getMetadata().getNamespace())
                                .withUid(pool.getMetadata().getUid()).build())
                        .withType(type).withReason(reason).withMessage(message.length() > 1000 ? message.substring(0, 1000) : message)
                        .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                        .withNewSource().withComponent("stevedore-operator").endSource()
                        .build()).create();
            } catch (KubernetesClientException e) {
                LOG.warnf("could not record event %s for %s: %s", reason, pool.getMetadata().getName(), e.getMessage());
            }
        }
    }
}
