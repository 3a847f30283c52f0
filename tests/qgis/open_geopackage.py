"""Open a GeoPackage as QGIS does (run by the SYSTEM python3 with Debian's python3-qgis, headless):
every layer, its stored default style, its field aliases and the messages QGIS logs; then render the
spatial layers to a PNG with their stored styles. Prints one JSON object.

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis/open_geopackage.py FILE.gpkg OUT.png [LAYER ...]
        [--year=Y] [--zone=CODE]   (draw only that year / zone of the layers that have the column)
"""

import json
import os
import sys

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsProviderRegistry,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

path, png = sys.argv[1], sys.argv[2]  # layers to draw: bottom first
opts = dict(a[2:].split("=", 1) for a in sys.argv[3:] if a.startswith("--"))
draw = [a for a in sys.argv[3:] if not a.startswith("--")]
app = QgsApplication([], False)
app.initQgis()
messages = []
QgsApplication.messageLog().messageReceived.connect(
    lambda msg, tag, level: messages.append({"tag": tag, "level": int(level), "message": msg}))

meta = QgsProviderRegistry.instance().providerMetadata("ogr")
names = [d.name() for d in meta.querySublayers(path)]
out = {"qgis": Qgis.QGIS_VERSION, "layers": {}}
layers = {}
for name in names:
    lyr = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
    info = {"valid": lyr.isValid()}
    if lyr.isValid():
        fields = lyr.fields()
        info["aliases"] = {fields.at(i).name(): lyr.attributeAlias(i) for i in range(fields.count())}
        r = lyr.renderer()
        info["renderer"] = r.type() if r else None
        if r is not None and r.type() == "RuleRenderer":
            info["rules"] = [c.label() for c in r.rootRule().children()]
        info["features"] = lyr.featureCount()
        layers[name] = lyr
    out["layers"][name] = info

spatial = [layers[n] for n in (draw or list(layers)) if n in layers and layers[n].isSpatial()]
for lyr in spatial:
    names_ = lyr.fields().names()
    where = []
    if "year" in opts and "year" in names_:
        where.append(f'"year" = {int(opts["year"])}')
    if "zone" in opts and "zone_code" in names_:
        where.append("\"zone_code\" = '" + opts["zone"].replace("'", "''") + "'")
    if where:
        lyr.setSubsetString(" AND ".join(where))
if spatial:
    ms = QgsMapSettings()
    ms.setLayers(list(reversed(spatial)))  # the first of the list is drawn on top
    ms.setBackgroundColor(QColor(255, 255, 255))
    ms.setOutputSize(QSize(1000, 800))
    ms.setDestinationCrs(spatial[0].crs())
    ext = QgsRectangle()
    ext.setMinimal()
    counts = {}
    for lyr in spatial:
        counts[lyr.name()] = 0
        for f in lyr.getFeatures():
            counts[lyr.name()] += 1
            if lyr is spatial[-1] and f.hasGeometry():
                ext.combineExtentWith(f.geometry().boundingBox())
    ext.scale(1.05)
    ms.setExtent(ext)
    job = QgsMapRendererParallelJob(ms)
    job.start()
    job.waitForFinished()
    job.renderedImage().save(png, "png")
    out["rendered"] = counts
    out["extent"] = [ext.xMinimum(), ext.yMinimum(), ext.xMaximum(), ext.yMaximum()]
app.processEvents()
out["messages"] = messages
print("JSON" + json.dumps(out, ensure_ascii=False), flush=True)
os._exit(0)  # QgsApplication.exitQgis() of a headless 3.22 may crash at teardown; nothing is left to save
