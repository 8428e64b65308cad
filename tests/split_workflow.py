"""A workflow whose shape depends on data it makes (Snakemake's checkpoints): `split`
captures chunks/, which a glob lists, so a run reads the Seamlessfile again once split has
run. Shared by the run and watch tests of globs over captures."""

SPLIT = """\
let chunks = glob("chunks/{c}.txt")
step split:
    inputs: input.txt
    shell: "mkdir chunks; i=0; while read l; do i=$((i+1)); echo $l > chunks/$i.txt; done < input.txt"
    captures: chunks/
step per for c in chunks:
    inputs: chunks/{c}.txt -> in.txt
    shell: "tr a-z A-Z < in.txt > out.txt"
    captures: out.txt -> per/{c}.txt
step merge:
    inputs: per/{c}.txt for c in chunks
    shell: "cat per/* > all.txt"
    captures: all.txt
"""
