"""The `vcf` connector: a folder of .vcf files, one per contact (vdir layout)."""
