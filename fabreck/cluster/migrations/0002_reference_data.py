from django.db import migrations


def load(apps, schema_editor):
    from fabreck.cluster.reference_data import reference_data_load

    reference_data_load(apps)


class Migration(migrations.Migration):
    dependencies = [("cluster", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
