// The instrument room; see include/gradlab/instrument/.
