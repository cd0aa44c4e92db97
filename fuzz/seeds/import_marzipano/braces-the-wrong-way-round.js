var"name": "Entrance",
   "Built in 1950."}]},
    {"ipitcd": "1-main-hall", na"me": "Main hallvar APP_D[
    {"id": "0-entrance", "name": "Entrance",
     "levels":",
  enes": [