var APP_DATA = {
  "scenes": [
    {"id": "0-entrance", "name": "Entrance",
     "levels": [{"tileSize": 256, "size": 256, "fallbackOnly": true}, {"tileSize": 512, "size": 512}],
     "faceSize": 512,
     "initialViewParameters": {"yaw": 0.5, "pitch": 0.2, "fov": 1.0},
     "linkHotspots": [{"yaw": -1.5, "pitch": 0.1, "rotation": 0.7, "target": "1-main-hall"}],
     "infoHotspots": [{"yaw": 3.5, "pitch": -0.3, "title": "<b>Plaque</b>", "text": "Built in 1950."}]},
    {"id": "1-main-hall", "name": "Main hall",
     "levels": [{"tileSize": 256, "size": 256, "fallbackOnly": true}, {"tileSize": 512, "size": 512}],
     "faceSize": 512,
     "initialViewParameters": {"yaw": 0, "pitch": 0, "fov": 1.5707963},
     "linkHotspots": [{"yaw": 3.0, "pitch": 0, "rotation": 0, "target": "0-entrance"}],
     "infoHotspots": []}
  ],
  "name": "Marzipano hall",
  "settings": {"mouseViewMode": "drag", "autorotateEnabled": true, "fullscreenButton": false, "viewControlButtons": false}
};
