package dev.stevedore.operator.pool;

import dev.stevedore.operator.model.DatabaseSpec;
import dev.stevedore.operator.model.JobWorkerPool;
import dev.stevedore.operator.model.JobWorkerPoolSpec;
import dev.stevedore.operator.model.PodTemplateOverrides;
import dev.stevedore.queue.Durations;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Deployment of a pool's workers, applied with server-side apply. Its Pods carry the worker contract:
 * environment from the spec, the downward API and the database Secret (by reference, never copied), probes
 * on the worker's health endpoints, a preStop hook on its drain endpoint, and a grace period that covers
 * drain + shutdown + a margin.
 */
@KubernetesDependent
public class WorkerDeployment extends CRUDKubernetesDependentResource<Deployment, JobWorkerPool> {

    public static final String CONTAINER = "worker";
    public static final int HTTP_PORT = 8080;

    public WorkerDeployment() {
        super(Deployment.class);
    }

    @Override
    protected Deployment desired(JobWorkerPool pool, Context<JobWorkerPool> context) {
        return build(pool);
    }

    /** The whole desired Deployment, from the pool alone (also used by tests). */
    public static Deployment build(JobWorkerPool pool) {
        JobWorkerPoolSpec spec = pool.getSpec();
        PoolSettings settings = PoolSettings.of(spec);
        PodTemplateOverrides overrides = spec.getTemplate() == null ? new PodTemplateOverrides() : spec.getTemplate();
        Map<String, String> podLabels = new LinkedHashMap<>();
        if (overrides.getLabels() != null) {
            podLabels.putAll(overrides.getLabels());
        }
        podLabels.putAll(PoolLabels.all(pool)); // ours win: they tie the Pods to the pool

        return new DeploymentBuilder()
                .withNewMetadata()
                    .withName(pool.getMetadata().getName())
                    .withNamespace(pool.getMetadata().getNamespace())
                    .withLabels(PoolLabels.all(pool))
                .endMetadata()
                .withNewSpec()
                    .withReplicas(spec.getReplicas() == null ? 1 : spec.getReplicas())
                    .withNewSelector().withMatchLabels(PoolLabels.selector(pool)).endSelector()
                    .withNewStrategy().withType("RollingUpdate")
                        .withNewRollingUpdate().withMaxSurge(new IntOrString("25%")).withMaxUnavailable(new IntOrString(0)).endRollingUpdate()
                    .endStrategy()
                    .withNewTemplate()
                        .withNewMetadata().withLabels(podLabels).withAnnotations(overrides.getAnnotations()).endMetadata()
                        .withNewSpec()
                            .withTerminationGracePeriodSeconds(settings.terminationGracePeriodSeconds())
                            .withServiceAccountName(overrides.getServiceAccountName())
                            .withNodeSelector(overrides.getNodeSelector())
                            .withTolerations(overrides.getTolerations())
                            .withAffinity(overrides.getAffinity())
                            .withNewSecurityContext()
                                .withRunAsNonRoot(true)
                                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                            .endSecurityContext()
                            .withContainers(container(pool, settings, overrides))
                            .addNewVolume().withName("tmp").withNewEmptyDir().endEmptyDir().endVolume()
                        .endSpec()
                    .endTemplate()
                .endSpec()
                .build();
    }

    private static Container container(JobWorkerPool pool, PoolSettings settings, PodTemplateOverrides overrides) {
        return new ContainerBuilder()
                .withName(CONTAINER)
                .withImage(pool.getSpec().getImage())
                .addNewPort().withName("http").withContainerPort(HTTP_PORT).withProtocol("TCP").endPort()
                .withEnv(env(pool, settings, overrides))
                .withResources(overrides.getResources())
                .withLivenessProbe(probe("/q/health/live", 3))
                .withReadinessProbe(probe("/q/health/ready", 1))
                .withNewLifecycle()
                    .withNewPreStop().withNewHttpGet().withPath("/drain").withPort(new IntOrString(HTTP_PORT)).endHttpGet().endPreStop()
                .endLifecycle()
                .withNewSecurityContext()
                    .withRunAsNonRoot(true)
                    .withAllowPrivilegeEscalation(false)
                    .withReadOnlyRootFilesystem(true)
                    .withNewCapabilities().withDrop("ALL").endCapabilities()
                .endSecurityContext()
                .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
                .build();
    }

    private static Probe probe(String path, int failureThreshold) {
        return new ProbeBuilder().withNewHttpGet().withPath(path).withPort(new IntOrString(HTTP_PORT)).endHttpGet()
                .withPeriodSeconds(5).withTimeoutSeconds(2).withFailureThreshold(failureThreshold).build();
    }

    private static List<EnvVar> env(JobWorkerPool pool, PoolSettings settings, PodTemplateOverrides overrides) {
        JobWorkerPoolSpec spec = pool.getSpec();
        DatabaseSpec db = spec.getDatabase();
        List<EnvVar> env = new ArrayList<>();
        env.add(fromSecret("STEVEDORE_DB_URL", db.getSecretName(), db.getUrlKey(), false));
        env.add(fromSecret("STEVEDORE_DB_USER", db.getSecretName(), db.getUsernameKey(), true));
        env.add(fromSecret("STEVEDORE_DB_PASSWORD", db.getSecretName(), db.getPasswordKey(), true));
        env.add(value("STEVEDORE_SCHEMA", db.getSchema()));
        env.add(value("STEVEDORE_POOL", pool.getMetadata().getNamespace() + "/" + pool.getMetadata().getName()));
        env.add(value("STEVEDORE_QUEUES", String.join(",", spec.getQueues() == null ? List.of("*") : spec.getQueues())));
        env.add(value("STEVEDORE_THREADS", String.valueOf(spec.getThreads() == null ? 10 : spec.getThreads())));
        env.add(value("STEVEDORE_HEARTBEAT_INTERVAL", Durations.format(settings.heartbeatInterval())));
        env.add(value("STEVEDORE_ALIVE_THRESHOLD", Durations.format(settings.aliveThreshold())));
        env.add(value("STEVEDORE_SHUTDOWN_TIMEOUT", Durations.format(settings.shutdownTimeout())));
        env.add(value("STEVEDORE_DRAIN_TIMEOUT", Durations.format(settings.drainTimeout())));
        env.add(value("STEVEDORE_PRUNED_RETRY_LIMIT", String.valueOf(settings.prunedRetryLimit())));
        env.add(value("STEVEDORE_PRUNED_RETRY_BACKOFF", Durations.format(settings.prunedRetryBackoff())));
        env.add(value("STEVEDORE_COMPLETED_RETENTION", Durations.format(settings.completedRetention())));
        if (settings.failedRetention() != null) {
            env.add(value("STEVEDORE_FAILED_RETENTION", Durations.format(settings.failedRetention())));
        }
        if (settings.discardedRetention() != null) {
            env.add(value("STEVEDORE_DISCARDED_RETENTION", Durations.format(settings.discardedRetention())));
        }
        env.add(value("STEVEDORE_MIGRATE", String.valueOf(Boolean.TRUE.equals(spec.getMigrate()))));
        env.add(fieldRef("POD_NAME", "metadata.name"));
        env.add(fieldRef("POD_UID", "metadata.uid"));
        env.add(fieldRef("POD_NAMESPACE", "metadata.namespace"));
        env.add(fieldRef("NODE_NAME", "spec.nodeName"));
        if (overrides.getEnv() != null) {
            env.addAll(overrides.getEnv());
        }
        return env;
    }

    private static EnvVar value(String name, String value) {
        return new EnvVarBuilder().withName(name).withValue(value).build();
    }

    private static EnvVar fromSecret(String name, String secret, String key, boolean optional) {
        return new EnvVarBuilder().withName(name).withNewValueFrom().withNewSecretKeyRef().withName(secret).withKey(key)
                .withOptional(optional ? true : null).endSecretKeyRef().endValueFrom().build();
    }

    private static EnvVar fieldRef(String name, String path) {
        return new EnvVarBuilder().withName(name).withNewValueFrom().withNewFieldRef().withFieldPath(path).endFieldRef().endValueFrom().build();
    }
}
