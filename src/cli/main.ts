#!/usr/bin/env node
console.log("warden");
