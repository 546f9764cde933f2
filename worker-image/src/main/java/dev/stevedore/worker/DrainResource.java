package dev.stevedore.worker;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The preStop hook's endpoint: stop claiming, and answer once running jobs are done or the drain timeout
 * passed. GET as well as POST, because a Kubernetes httpGet hook can only GET.
 */
@Path("/drain")
public class DrainResource {

    @Inject
    WorkerService service;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> drainByGet() {
        return drain();
    }

    @POST
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> drain() {
        boolean idle = service.drain();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("drained", idle);
        result.put("runningJobs", service.runningJobs());
        return result;
    }
}
