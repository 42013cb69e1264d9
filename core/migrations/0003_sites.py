from django.db import migrations

SITES = [
    {
        "code": "tokyo",
        "name": "Tokyo Main Library",
        "name_ja": "東京本館",
        "department": "Loan Service Section, Book Service Division",
        "address": "National Diet Library\n1-10-1, Nagata-cho, Chiyoda-ku, Tokyo\n100-8924 Japan",
        "fax": "+81-3-3508-2934",
        "email": "ill-tokyo@ndl.go.jp",
    },
    {
        "code": "kansai",
        "name": "Kansai-kan",
        "name_ja": "関西館",
        "department": "ILL Section, Public Services Division",
        "address": (
            "Kansai-kan of the National Diet Library\n"
            "8-1-3 Seikadai, Seika-cho, Soraku-gun, Kyoto Prefecture\n619-0287 Japan"
        ),
        "fax": "+81-774-94-9112",
        "email": "ill-sec@ndl.go.jp",
    },
    {
        "code": "ilcl",
        "name": "International Library of Children's Literature",
        "name_ja": "国際子ども図書館",
        "department": "Resources and Information Division",
        "address": (
            "International Library of Children's Literature\n"
            "12-49 Ueno Koen, Taito-ku, Tokyo\n110-0007 Japan"
        ),
        "fax": "+81-3-3827-2043",
        "email": "ill-ilcl@ndl.go.jp",
    },
]


def create_sites(apps, schema_editor):
    Site = apps.get_model("core", "Site")
    for data in SITES:
        Site.objects.update_or_create(code=data["code"], defaults=data)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial")]
    operations = [migrations.RunPython(create_sites, migrations.RunPython.noop)]
