// bootstrap file, replaced as the target gains code
