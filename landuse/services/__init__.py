"""Use cases, one module each, shared by the command line, the reports and the web service:

- :mod:`landuse.services.imports`  — import a data package (all or nothing);
- :mod:`landuse.services.evaluate` — evaluate years and store the results with their policy;
- :mod:`landuse.services.results`  — the one read path for stored results (target lists included);
- :mod:`landuse.services.exports`  — layers, target lists, problem lists and quota tables as files;
- :mod:`landuse.services.quota`    — the quota tilt (a what-if unless saved, audited);
- :mod:`landuse.services.maps`     — offline map pages;
- :mod:`landuse.services.accounts` — users, sessions and the audit log.

Services take an explicit store and policy; they never read settings or the environment.
"""
