package dev.stevedore.operator.model;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A pool of Stevedore workers: {@code kubectl get jobworkerpools} (short name {@code jwp}). */
@Group(JobWorkerPool.GROUP)
@Version(JobWorkerPool.VERSION)
@ShortNames("jwp")
@AdditionalPrinterColumn(name = "REPLICAS", jsonPath = ".spec.replicas", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "READY", jsonPath = ".status.readyReplicas", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "PROCESSES", jsonPath = ".status.aliveProcesses", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "PRUNED", jsonPath = ".status.prunedTotal", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "AGE", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class JobWorkerPool extends CustomResource<JobWorkerPoolSpec, JobWorkerPoolStatus> implements Namespaced {

    public static final String GROUP = "stevedore.dev";
    public static final String VERSION = "v1alpha1";
}
