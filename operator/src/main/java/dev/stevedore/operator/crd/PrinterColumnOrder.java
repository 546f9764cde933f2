package dev.stevedore.operator.crd;

import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import java.util.Comparator;
import java.util.List;

/**
 * The CRD generator sorts printer columns by JSON path; kubectl shows them in CRD order. This puts them in the
 * order people read a pool: REPLICAS, READY, PROCESSES, PRUNED, AGE. Runs at build time.
 */
public class PrinterColumnOrder implements CRDPostProcessor {

    private static final List<String> ORDER = List.of("REPLICAS", "READY", "PROCESSES", "PRUNED", "AGE");

    @Override
    public HasMetadata process(HasMetadata crd, String crdSpecVersion) {
        if (crd instanceof CustomResourceDefinition definition) {
            definition.getSpec().getVersions().forEach(v -> {
                if (v.getAdditionalPrinterColumns() != null) {
                    v.getAdditionalPrinterColumns().sort(Comparator.comparingInt((CustomResourceColumnDefinition c) -> {
                        int i = ORDER.indexOf(c.getName());
                        return i < 0 ? ORDER.size() : i;
                    }));
                }
            });
        }
        return crd;
    }
}
