"""What engineers paste into tickets, for measuring `llm.redaction` (tests and `python -m bench.redaction`).

`SECRETS` holds `(line, secret)`: the whole line as pasted, and the part of it that must not reach the
model. `BENIGN` holds lines that must reach the model exactly as written. Every credential here is made
up: random characters in the shape of the real thing.
"""

FRAGMENT = 8


def remains(secret: str, text: str) -> bool:
    """Whether any part of `secret` is left in `text`: half a key is still a leak, so a secret counts as
    removed only when no run of FRAGMENT of its characters (all of it, if shorter) is left."""
    size = min(FRAGMENT, len(secret))
    return any(secret[start : start + size] in text for start in range(len(secret) - size + 1))


# Passwords after a keyword: `password=`, `pwd=`, `Password:`, env vars, JSON, ini files
PASSWORDS = [
    ("net use S: \\\\fs01\\share password=Winter-2026! /persistent:yes", "Winter-2026!"),
    ("Script step 3 failed, connection used password=Fzb*jcoP#95w against sql01", "Fzb*jcoP#95w"),
    ("Reset svc_veeam, new password=L^0rKA53zmg7 (also updated in IT Glue)", "L^0rKA53zmg7"),
    ("[smtp] host=smtp.office365.com user=scanner@contoso.com pwd=ScanMe!2024", "ScanMe!2024"),
    ("pwd=Tr0ub4dor&3 in the old login script", "Tr0ub4dor&3"),
    ("Password: Summer2024!", "Summer2024!"),
    ("Local admin password: Kx7#mP2qR9", "Kx7#mP2qR9"),
    ("user: jdoe@contoso.com pass: Bluebird-4417", "Bluebird-4417"),
    ("passwd=Lighthouse#88 is still in /etc/cifs-creds on the backup box", "Lighthouse#88"),
    ('{"username": "svc_sync", "password": "s3cr3t-Vault-77", "domain": "CONTOSO"}', "s3cr3t-Vault-77"),
    ("ADMIN_PASSWORD='92Gx!mQ4zT' in the docker-compose .env", "92Gx!mQ4zT"),
    ("DB_PASS=wintergreen42", "wintergreen42"),
    ('SMTP_PASSWORD="Mailr00m#2023"', "Mailr00m#2023"),
    ("Temp password is Welcome2Contoso! - user must change it at next logon", "Welcome2Contoso!"),
    ("Reset her password to Spring#2025 and unlocked the account", "Spring#2025"),
    ("Scanner SMB login: scan / Sc@nTo-Folder9", "Sc@nTo-Folder9"),
    ("Firewall creds admin / P@ssw0rd123 (change after onboarding)", "P@ssw0rd123"),
    ("Wi-Fi password for the boardroom: Tulip#Meadow24", "Tulip#Meadow24"),
    ("<add key=\"SmtpPassword\" value=\"Sm7p!Relay2024\" />", "Sm7p!Relay2024"),
    ("password = V&eIWmQm*&cV", "V&eIWmQm*&cV"),
    ("Login for the Synology: admin / Nas!Admin2023", "Nas!Admin2023"),
    ("pw: Qwerty!234", "Qwerty!234"),
    ("The new password for the copier is Xerox#7788", "Xerox#7788"),
    ("$Password = 'Svc!Backup#2024'", "Svc!Backup#2024"),
    ("Set-Content creds.txt 'user=svc_print;pass=Pr1nt!Svc'", "Pr1nt!Svc"),
    ("Unlocked jdoe; the account's password is now Autumn-Leaves-42", "Autumn-Leaves-42"),
    ("Veeam encryption password: V33am!Enc", "V33am!Enc"),
    ("The iLO default password on the tag is 8HJK2M7Q", "8HJK2M7Q"),
    ("TeamViewer ID 1 234 567 890, password 4x7k9m", "4x7k9m"),
    ("AnyDesk unattended password set to Any#Desk55", "Any#Desk55"),
    ("ScreenConnect host pass Scr33n!Conn", "Scr33n!Conn"),
    ("MYSQL_ROOT_PASSWORD: R00t!Maria", "R00t!Maria"),
    ("PGPASSWORD=Pg!Secret99 psql -h db01 -U app", "Pg!Secret99"),
    ("restic -r sftp:backup@nas01:/restic backup --password-file /root/.restic; RESTIC_PASSWORD=R3stic!Repo",
     "R3stic!Repo"),
]

# Passwords as command-line arguments: -Password, /p:, /pass:, -p, /rp, net use and net user
COMMAND_LINE_PASSWORDS = [
    ("Connect-VIServer -Server vc01 -User administrator@vsphere.local -Password 'Vm#Ware2024'", "Vm#Ware2024"),
    ('Invoke-Sqlcmd -ServerInstance sql01 -Username sa -Password "SqlAdm1n!" -Query "SELECT 1"', "SqlAdm1n!"),
    ("New-PSDrive -Name X -PSProvider FileSystem -Root \\\\nas01\\data -Password srxirfu19&A*", "srxirfu19&A*"),
    ("xfreerdp /v:10.1.2.3 /u:CONTOSO\\jdoe /p:Rdp!Access9 /cert:ignore", "Rdp!Access9"),
    ("msbuild Deploy.proj /p:DeployUser=deploy /p:DeployPassword=Msb#Deploy42", "Msb#Deploy42"),
    ("cmdkey /add:fs01.contoso.local /user:CONTOSO\\svc_scan /pass:Sc4nner!Pw", "Sc4nner!Pw"),
    ("net use Z: \\\\fs01\\finance Hunter2-Winter /user:CONTOSO\\jdoe", "Hunter2-Winter"),
    ("net use \\\\nas01\\backup /user:backup B@ckup2024! /persistent:no", "B@ckup2024!"),
    ("net use * \\\\10.0.5.20\\c$ /user:.\\Administrator #c@kKd2Lq1D5", "#c@kKd2Lq1D5"),
    ("net user jdoe NewPass!234 /domain", "NewPass!234"),
    ("net user Administrator Adm!n2025 /active:yes", "Adm!n2025"),
    ("psexec \\\\pc042 -u CONTOSO\\admin -p Adm1n#Pw cmd /c ipconfig", "Adm1n#Pw"),
    ("schtasks /create /tn Backup /tr C:\\Scripts\\backup.cmd /ru CONTOSO\\svc_bk /rp Bk!Svc2024", "Bk!Svc2024"),
    ("mysql -u root -pR00tDb!2024 -h db01.contoso.local", "R00tDb!2024"),
    ("sshpass -p 'Linux#Root1' ssh root@10.0.5.20", "Linux#Root1"),
    ("curl -k -u admin:Ub1quiti! https://unifi.contoso.local:8443/api/login", "Ub1quiti!"),
    ("wget --user=backup --password=Nas#Backup7 ftp://nas01.contoso.local/exports/", "Nas#Backup7"),
    ('ldapsearch -x -D "cn=admin,dc=contoso,dc=com" -w LdapAdm!n9 -b "dc=contoso,dc=com"', "LdapAdm!n9"),
    ("racadm -r 10.0.9.15 -u root -p calvin getsysinfo", "calvin"),
    ("az login --service-principal -u 4e1b2c3d-5a6f-4b7c-8d9e-0f1a2b3c4d5e -p 28u7Q~ZiFZ3HLKv797TPNbpjava1bMZwIMlvd_4c "
     "--tenant contoso.onmicrosoft.com", "28u7Q~ZiFZ3HLKv797TPNbpjava1bMZwIMlvd_4c"),
    ("username admin privilege 15 secret 0 Cisc0Adm!n", "Cisc0Adm!n"),
    ("crypto isakmp key Vpn$har3dK3y address 203.0.113.10", "Vpn$har3dK3y"),
    ("set psksecret Fort1PSK!2024", "Fort1PSK!2024"),
    ('sqlcmd -S sql01 -U sa -P Sql!Sa2024 -Q "select @@version"', "Sql!Sa2024"),
    ("plink -ssh root@10.0.0.9 -pw Plink#Root9", "Plink#Root9"),
    ('cmdkey /generic:TERMSRV/rds01 /user:jdoe /pass:"Rds#2024!"', "Rds#2024!"),
    ("smbclient //fs01/share -U CONTOSO/jdoe%Smb!Pass22", "Smb!Pass22"),
    ("mount -t cifs //nas01/backup /mnt/backup -o username=backup,password=Cifs!Mnt7", "Cifs!Mnt7"),
]

# Passwords made into secure strings: ConvertTo-SecureString ... -AsPlainText
PLAIN_TEXT_SECURE_STRINGS = [
    ('$pw = ConvertTo-SecureString "Xy7!pQ2#Lm" -AsPlainText -Force', "Xy7!pQ2#Lm"),
    ("ConvertTo-SecureString -String 'Aut0Pilot!' -AsPlainText -Force", "Aut0Pilot!"),
    ("Set-ADAccountPassword -Identity jdoe -Reset -NewPassword (ConvertTo-SecureString -AsPlainText "
     '"Reset#4455" -Force)', "Reset#4455"),
    ('$cred = New-Object PSCredential("CONTOSO\\svc_ps", (ConvertTo-SecureString "95WX^j^jOt6v" -AsPlainText -Force))',
     "95WX^j^jOt6v"),
    ("$secure = 'Intune#Wipe88' | ConvertTo-SecureString -AsPlainText -Force", "Intune#Wipe88"),
    ("Set-LocalUser -Name ladmin -Password (ConvertTo-SecureString 'L0cal!Adm' -AsPlainText -Force)", "L0cal!Adm"),
    ("New-Object System.Management.Automation.PSCredential('svc_sql', "
     "('Sq1Svc!x' | ConvertTo-SecureString -AsPlainText -Force))", "Sq1Svc!x"),
]

# PSA keys: ConnectWise public/private pairs, Autotask secrets, HaloPSA, IT Glue
PSA_KEYS = [
    ("CW API member fp-sync: public key M0XvqZjxTW3xvboS private key QxA71p2Td8VKqxry", "QxA71p2Td8VKqxry"),
    ("companyId=contoso, publicKey=Rt5Mh3dAwVtRMflh, privateKey=o1nIj7BRd03Q2ybv", "o1nIj7BRd03Q2ybv"),
    ("CW creds contoso+bmuaptt0Azn0DNRU:097SHzxgQA6TCvY4", "097SHzxgQA6TCvY4"),
    ("Authorization: Basic Y29udG9zbytNMFh2cVpqeFRXM3h2Ym9TOlF4QTcxcDJUZDhWS3F4cnk=",
     "Y29udG9zbytNMFh2cVpqeFRXM3h2Ym9TOlF4QTcxcDJUZDhWS3F4cnk="),
    ("Autotask API user api@contoso.com, Secret: hoxhLPA~bQcEFUV2fsjGHb6H", "hoxhLPA~bQcEFUV2fsjGHb6H"),
    ('{"UserName": "api@contoso.com", "Secret": "rlEOS47WgjKCu*0xxKhg5QjW", "ApiIntegrationCode": "X0GSAXMKNU"}',
     "rlEOS47WgjKCu*0xxKhg5QjW"),
    ("HaloPSA client_id=fp-halo client_secret=MX5oZCsSauqrBkL60W4Ycs1jZ43Kjr-2ZZJRX6FwIfIJFZym",
     "MX5oZCsSauqrBkL60W4Ycs1jZ43Kjr-2ZZJRX6FwIfIJFZym"),
    ("Authorization: Basic c3ZjX2hhbG86SGFsbyNBcGkyMDI0", "c3ZjX2hhbG86SGFsbyNBcGkyMDI0"),
    ("x-api-key: ITG.2a4b0062983475eb46c5296f62e338d7.r8-h97s_F-vauP7-L7V21jxUdcfQm9_seB1qRmUR8AK",
     "ITG.2a4b0062983475eb46c5296f62e338d7.r8-h97s_F-vauP7-L7V21jxUdcfQm9_seB1qRmUR8AK"),
    ("Datto RMM API secret key: TTK5DUX24KJHXK04Y2RVSRDVAJT1PYYY", "TTK5DUX24KJHXK04Y2RVSRDVAJT1PYYY"),
    ("Huntress API key hk_f1c4261e5351d30b4989 secret lAcubBKPL76dFKHc0hXZAKS6", "lAcubBKPL76dFKHc0hXZAKS6"),
    ("Autotask: Username api_fp@contoso.com Secret 7Xm#kP2$qL9@wR4! Integration code ABCDEF", "7Xm#kP2$qL9@wR4!"),
    ("ConnectWise API keys - Public: xY7kLm2nPq4rSt6v Private: Ab3dEf5gHi7jKl9m", "Ab3dEf5gHi7jKl9m"),
    ("HALO_CLIENT_SECRET=Wd8sKq2LmZ7xPv4nRt9bYc3hJf6gTa1eUo5iNw0sXk", "Wd8sKq2LmZ7xPv4nRt9bYc3hJf6gTa1eUo5iNw0sXk"),
    ("Datto API key 'K7XQ2LMZ9PVT4RWN' secret 'b8Yc3Hf6Jd1Sg5Ae0Uo4Ti9Wq'", "b8Yc3Hf6Jd1Sg5Ae0Uo4Ti9Wq"),
]

# Cloud credentials: Azure client secrets and storage keys, AWS key pairs, Google, Okta, Duo, Meraki
CLOUD_KEYS = [
    ("AZURE_CLIENT_SECRET=k278Q~lMM~Cw3XVy27dFanUrOSE62chn4xdeJw1T", "k278Q~lMM~Cw3XVy27dFanUrOSE62chn4xdeJw1T"),
    ("Client secret value (copy now, shown once): d0A8Q~Kza5KxxGWfvmaQtKnP-VSGVBrYSuIb9xQ2",
     "d0A8Q~Kza5KxxGWfvmaQtKnP-VSGVBrYSuIb9xQ2"),
    ("aws_access_key_id = AKIAH4DEWIO6UJE7SGZ4", "AKIAH4DEWIO6UJE7SGZ4"),
    ("aws_secret_access_key = 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", "Atf6e9cpCGybY9lMR4pAwBp3GVy1PixOqoRGrB5V"),
    ("export AWS_SECRET_ACCESS_KEY=pg5C6QsyHZytfqY6K1Qjah4dXd3eOa1Zcc/a4CgO",
     "pg5C6QsyHZytfqY6K1Qjah4dXd3eOa1Zcc/a4CgO"),
    ("Set-AWSCredential -AccessKey AKIAUJK54M4WYKP6ILSA -SecretKey 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",
     "AKIAUJK54M4WYKP6ILSA"),
    ("Set-AWSCredential -AccessKey AKIAUJK54M4WYKP6ILSA -SecretKey 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",
     "FfqRgz7IhYePP2lny2pg17+dUM2jNKogorTAuRVp"),
    ("temporary creds ASIAV7E76X7G5AWM5TVW from the assumed role", "ASIAV7E76X7G5AWM5TVW"),
    ("DefaultEndpointsProtocol=https;AccountName=contosobackups;AccountKey=1KSeGULDBAge2am4X10myPo6xUG5Jvra2TSsEOPSjsz"
     "+BsvN+lnq5zc65L5t1fLTanN+AtFBN+gMqyT8q5EecQ==;EndpointSuffix=core.windows.net",
     "1KSeGULDBAge2am4X10myPo6xUG5Jvra2TSsEOPSjsz+BsvN+lnq5zc65L5t1fLTanN+AtFBN+gMqyT8q5EecQ=="),
    ("https://contosobackups.blob.core.windows.net/veeam?sv=2022-11-02&ss=b&srt=sco&sp=rwdlac&se=2025-01-01T00:00:00Z"
     "&sig=x3gxODYfjuMbwrHMbgcn33KFLKnq7XrBg8CXL0M9iq1%3D", "x3gxODYfjuMbwrHMbgcn33KFLKnq7XrBg8CXL0M9iq1%3D"),
    ("Endpoint=sb://contoso-bus.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
     "SharedAccessKey=E61mXMEqDhoRver5IMs9LoOjdy3JXeVRvXhxWBODtB4=", "E61mXMEqDhoRver5IMs9LoOjdy3JXeVRvXhxWBODtB4="),
    ("Maps key AIzaGBuzSm6A8cVR06AxYpThGJWZhbj11THnCMZ in the intranet page",
     "AIzaGBuzSm6A8cVR06AxYpThGJWZhbj11THnCMZ"),
    ("Authorization: SSWS 00K9mqmALOR2HcSGKgVP8Kd0d3mS8gBlKv3azKgaS-", "00K9mqmALOR2HcSGKgVP8Kd0d3mS8gBlKv3azKgaS-"),
    ("Duo ikey DI29UK32QOIV3P6MRTJJ skey pUuMHwkpu9mq9Ugk9QgmyjjYtUtBrmgO6grn4yDc",
     "pUuMHwkpu9mq9Ugk9QgmyjjYtUtBrmgO6grn4yDc"),
    ("X-Cisco-Meraki-API-Key: 7ce65426f74bde94fb78c8d5f08b79affd2b49c1", "7ce65426f74bde94fb78c8d5f08b79affd2b49c1"),
    ("Cloudflare API token bZ3CL7csGZaF31DDxp63OHm1FZuG296c0xPbX_ne for the DNS edit",
     "bZ3CL7csGZaF31DDxp63OHm1FZuG296c0xPbX_ne"),
    ("SentinelOne ApiToken gFSY0l9FLw91GqK8ks0n8SoFkh8OXfFYSJYgOuwgz7z54VfB4PbxntqB5IGky4Oo8DiIMWSWMPcwLuHj",
     "gFSY0l9FLw91GqK8ks0n8SoFkh8OXfFYSJYgOuwgz7z54VfB4PbxntqB5IGky4Oo8DiIMWSWMPcwLuHj"),
    ("$env:AZURE_CLIENT_SECRET = 'Jq78Q~Vb3nM9xK2pL5rT8wZ1cF4hJ7kN0sD6gA3e'",
     "Jq78Q~Vb3nM9xK2pL5rT8wZ1cF4hJ7kN0sD6gA3e"),
    ("aws configure set aws_secret_access_key 8dJ2kLq9mZx7vB4nWp1rTy6uHc3sFg5aQe0iOo8X",
     "8dJ2kLq9mZx7vB4nWp1rTy6uHc3sFg5aQe0iOo8X"),
    ("Azure storage key1: q8Zx3Lm9Kp2Vt7Rw4Yn6Bc1Hf5Jd0Sg8Ae3Uo9Ti2Wq7Er4Ty6Ui1Op5As3Df8Gh2Jk7Lz0Xc9Vb6Nm4Qw==",
     "q8Zx3Lm9Kp2Vt7Rw4Yn6Bc1Hf5Jd0Sg8Ae3Uo9Ti2Wq7Er4Ty6Ui1Op5As3Df8Gh2Jk7Lz0Xc9Vb6Nm4Qw=="),
    ("Okta API token: 00Xb8Kq2Lm9Zp4Vt7Rw1Yn6Hc3Jf5Sg0Ad8Ue2Io", "00Xb8Kq2Lm9Zp4Vt7Rw1Yn6Hc3Jf5Sg0Ad8Ue2Io"),
    ("Graph app uses client_credentials with secret=Zx9Q~Lm2Kp7Vt4Rw8Yn3Bc6Hf1Jd5Sg0Ae9Uo2Ti",
     "Zx9Q~Lm2Kp7Vt4Rw8Yn3Bc6Hf1Jd5Sg0Ae9Uo2Ti"),
]

# Source-control, chat and AI tokens: GitHub, GitLab, Slack, Teams webhooks, Anthropic, OpenAI, Stripe and others
SERVICE_TOKENS = [
    ("git remote set-url origin https://ghp_vA0EhexWQ3czyrEvmkXbI8P0GwAESV5nkthB@github.com/contoso/scripts.git",
     "ghp_vA0EhexWQ3czyrEvmkXbI8P0GwAESV5nkthB"),
    ("GITHUB_TOKEN: gho_GJd8xncwjxTZVcUOpdxfWEIRH3KU3hOuNsFq", "gho_GJd8xncwjxTZVcUOpdxfWEIRH3KU3hOuNsFq"),
    ("fine-grained PAT 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",
     "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"),
    ("git clone https://x-access-token:ghs_zhONva1lZp814HtFbtfeeHv0fG2xPVD8AfOT@github.com/contoso/rmm.git",
     "ghs_zhONva1lZp814HtFbtfeeHv0fG2xPVD8AfOT"),
    ('curl --header "PRIVATE-TOKEN: glpat-DRuIr2jhTxs_OHKDpnJh" https://gitlab.contoso.com/api/v4/projects',
     "glpat-DRuIr2jhTxs_OHKDpnJh"),
    ("git remote add deploy https://oauth2:glpat--rgiOaPq-N9RtlnnudSk@gitlab.contoso.com/it/scripts.git",
     "glpat--rgiOaPq-N9RtlnnudSk"),
    ("deploy token gldt-Ghgs870XhRQXdNWOAvlh for the runner", "gldt-Ghgs870XhRQXdNWOAvlh"),
    ("SLACK_BOT_TOKEN=xoxb-720509597216-9023705690295-xgaaJl7LRiiQbLJmWZTsUryr",
     "xoxb-720509597216-9023705690295-xgaaJl7LRiiQbLJmWZTsUryr"),
    ("user token xoxp-148998447030-892553885358-7916179182125-a9682170905f4ec5a399fc47f5edbada",
     "xoxp-148998447030-892553885358-7916179182125-a9682170905f4ec5a399fc47f5edbada"),
    ("Alerts go to https://hooks.slack.com/services/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",
     "czU9YGP6SxWw4iUiE6LapkRg"),
    ("https://contoso.webhook.office.com/webhookb2/3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d@72f988bf-86f1-41af-91ab-"
     "2d7cd011db47/IncomingWebhook/dad8199bfca8b6f3a6a9421cc1c93016/9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d",
     "dad8199bfca8b6f3a6a9421cc1c93016"),
    ("ANTHROPIC_API_KEY=sk-ant-api03-KbnHFbDfj3u_ypO09RnKw1zW9-ohP46PbmT1TOkzfR1wKbPXTXx8TTx4XUMGmTtfc6y_xI25MTL3xz"
     "fMg5lJYjAA",
     "sk-ant-api03-KbnHFbDfj3u_ypO09RnKw1zW9-ohP46PbmT1TOkzfR1wKbPXTXx8TTx4XUMGmTtfc6y_xI25MTL3xzfMg5lJYjAA"),
    ("x-api-key: sk-ant-admin01-_loHI3Yhc1OxT-8QY4-3BMDogiSTRIiP9LJm7R04",
     "sk-ant-admin01-_loHI3Yhc1OxT-8QY4-3BMDogiSTRIiP9LJm7R04"),
    ("OPENAI_API_KEY=sk-proj-ZhbGSdGWoZ6axl7KBGgMVGOYn7B3_5SApYXfE-1ds3vbgqMM",
     "sk-proj-ZhbGSdGWoZ6axl7KBGgMVGOYn7B3_5SApYXfE-1ds3vbgqMM"),
    ("old key sk-kpk8mC3mMcSBnTTwXtKWcJzKRBHuj4cdAEHBW44peEcu8hj2 still in the n8n flow",
     "sk-kpk8mC3mMcSBnTTwXtKWcJzKRBHuj4cdAEHBW44peEcu8hj2"),
    ("service account key sk-svcacct-qCWCsuZrJZaVLaPeAU5moHH5F-grANC-aBcnwDDO",
     "sk-svcacct-qCWCsuZrJZaVLaPeAU5moHH5F-grANC-aBcnwDDO"),
    ("Stripe secret key sk_live_Nun91zkIRlDb9PBcsB1hJlNp on the billing server", "sk_live_Nun91zkIRlDb9PBcsB1hJlNp"),
    ("restricted key rk_live_fVdrnCYkWpmcxWZYdJlMP8fj", "rk_live_fVdrnCYkWpmcxWZYdJlMP8fj"),
    ("STRIPE_KEY=sk_test_x78VEYbwNaXVKtYLRV1ipLUY", "sk_test_x78VEYbwNaXVKtYLRV1ipLUY"),
    ("webhook signing secret whsec_ykCwvVbI2fcZpddioUgImdhCEImzQf6C", "whsec_ykCwvVbI2fcZpddioUgImdhCEImzQf6C"),
    ("SENDGRID_API_KEY=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",
     "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"),
    ("Twilio account ACaaddbfe258b6736c838acdc4bbe92537 auth token 791ce680ce2b27c8af6666259bbc471f",
     "791ce680ce2b27c8af6666259bbc471f"),
    ("//npm.build.contoso.example/:_authToken=npm_amowpj9QOOMyPUJ8nPqTxT6PAdCD1fM2Wold",
     "npm_amowpj9QOOMyPUJ8nPqTxT6PAdCD1fM2Wold"),
    ("Mailchimp key 843075b7d1fb63c0ad3995bd6c96fde1-us21", "843075b7d1fb63c0ad3995bd6c96fde1-us21"),
    ("DISCORD_TOKEN=MTpKXspIuxAp4fXgRKCdF2s8.t9sbg9.bAjtbDV3J7Y59r5zFa1lykVg5kp",
     "MTpKXspIuxAp4fXgRKCdF2s8.t9sbg9.bAjtbDV3J7Y59r5zFa1lykVg5kp"),
    ("Telegram alert bot 8672486705:AArDYo57oJP6hq6ItLy8k-QY0vPToTry-L3",
     "8672486705:AArDYo57oJP6hq6ItLy8k-QY0vPToTry-L3"),
    ("Authorization: Bearer Z5ibXt80nk8Btb2abplBpq8cJF5xgUskL-6GgebhbkX",
     "Z5ibXt80nk8Btb2abplBpq8cJF5xgUskL-6GgebhbkX"),
    ("curl https://api.telegram.org/bot7512384690:AAHf3Kq9Lm2Zx8Vp5Rt1Wy7Bn4Jc6Hd0Sg3/sendMessage",
     "7512384690:AAHf3Kq9Lm2Zx8Vp5Rt1Wy7Bn4Jc6Hd0Sg3"),
    ("export GITLAB_TOKEN=glpat-Xk9Lm2Pq7Zr4Vt8Wn3Yb", "glpat-Xk9Lm2Pq7Zr4Vt8Wn3Yb"),
    ("Stripe: pk_live_72Ab (publishable) and sk_live_51HxKq2Lm9Zp4Vt8Rw1Yn6Hc3Jf5Sg0Ad",
     "sk_live_51HxKq2Lm9Zp4Vt8Rw1Yn6Hc3Jf5Sg0Ad"),
]

# Database and service connection strings with a password in them
CONNECTION_STRINGS = [
    ("Server=sql01.contoso.local;Database=Autotask_Sync;User Id=sa;Password=SqlSa#2024;", "SqlSa#2024"),
    ("Data Source=SQL02\\SQLEXPRESS;Initial Catalog=QuickBooks;User ID=qb_app;Pwd=QbApp!77;", "QbApp!77"),
    ("postgresql://veeam:Ve3am-Pg!@pg01.contoso.local:5432/VeeamBackup", "Ve3am-Pg!"),
    ("mongodb+srv://admin:M0ng0Atlas2024@cluster0.ab1cd.mongodb.net/prod?retryWrites=true", "M0ng0Atlas2024"),
    ("DATABASE_URL=mysql://wp_user:Wp!Pass2024@db.contoso.com/wordpress", "Wp!Pass2024"),
    ("Provider=SQLOLEDB;Data Source=acct01;User ID=sage;Password=Sage50!Acct;", "Sage50!Acct"),
    ("redis://:R3disCache!x@cache01.contoso.local:6379/0", "R3disCache!x"),
    ("jdbc:sqlserver://sql03:1433;databaseName=HR;user=hr_app;password=Hr#App2024", "Hr#App2024"),
    ("Driver={ODBC Driver 17 for SQL Server};Server=tcp:contoso.database.windows.net,1433;Uid=fpadmin;"
     "Pwd={Az#Sql-2024};Encrypt=yes;", "Az#Sql-2024"),
    ("amqp://celery:Rabb1t!Mq@mq01.contoso.local:5672//", "Rabb1t!Mq"),
    ("ODBC: DSN=Sage;UID=sage;PWD=S4ge!2024", "S4ge!2024"),
    ("MONGO_URL=mongodb://root:Mongo-R00t@mongo:27017", "Mongo-R00t"),
]

# Basic-auth URLs: https://user:pass@host and the like
BASIC_AUTH_URLS = [
    ("Controller at https://admin:Ub1qu1t1!@unifi.contoso.com:8443/manage", "Ub1qu1t1!"),
    ("Scan to folder uses ftp://scanner:Scan2Folder!@nas01.contoso.local/scans", "Scan2Folder!"),
    ("iDRAC http://root:Dr4c!Root@10.0.9.15/restgui/start.html", "Dr4c!Root"),
    ("Jenkins job https://svc_ci:Jenk1nsBuild2024@jenkins.contoso.com/job/deploy/build", "Jenk1nsBuild2024"),
    ("smb://backup:Syn0logy-Bk@192.168.10.5/backup", "Syn0logy-Bk"),
    ("NVR stream rtsp://admin:Hikv1s10n!@10.0.20.31:554/Streaming/Channels/101", "Hikv1s10n!"),
    ("proxy set to http://proxyuser:Squ1d-Proxy@proxy.contoso.local:3128", "Squ1d-Proxy"),
    ('winscp.com /command "open sftp://deploy:W1nScp!x@files.contoso.com/"', "W1nScp!x"),
]

# JSON web tokens, alone and in headers and URLs
JWTS = [
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhcGlAY29udG9zby5jb20iLCJpYXQiOjE3MTgwOTI4M"
     "DAsImV4cCI6MTcxODE3OTIwMH0.pU3KGCUwux1tEyze1iN7LtkeP3IfyxlxF0SU1kk8nVw",
     "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhcGlAY29udG9zby5jb20iLCJpYXQiOjE3MTgwOTI4MDAsImV4cCI6MTcxODE3OTI"
     "wMH0.pU3KGCUwux1tEyze1iN7LtkeP3IfyxlxF0SU1kk8nVw"),
    ("Graph token from the browser: eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsIng1dCI6Im5PbzNaRHJPRFhFSzFqS1doWHNsSFJfS1hFZy"
     "IsImtpZCI6Im5PbzNaRHJPRFhFSzFqS1doWHNsSFJfS1hFZyJ9.eyJhdWQiOiJodHRwczovL2dyYXBoLm1pY3Jvc29mdC5jb20iLCJpc3MiOiJ"
     "odHRwczovL3N0cy53aW5kb3dzLm5ldC83MmY5ODhiZi04NmYxLTQxYWYtOTFhYi0yZDdjZDAxMWRiNDcvIiwidXBuIjoiamRvZUBjb250b3NvLm"
     "NvbSJ9.NGC-MSAeaf7aoO7ouZl_XHwpmf2v5ZMlPNZUr0361xQnoK6z_ukjL4ryIR-e5JHFsQvstVY7_B5vk0J-y8j-KQ",
     "NGC-MSAeaf7aoO7ouZl_XHwpmf2v5ZMlPNZUr0361xQnoK6z_ukjL4ryIR-e5JHFsQvstVY7_B5vk0J-y8j-KQ"),
    ("https://portal.contoso.com/callback#id_token=eyJhbGciOiJIUzUxMiJ9.eyJwYXJ0bmVyIjoiY29udG9zbyIsInJvbGUiOiJhZG1pbi"
     "IsIm5iZiI6MTcxODAwMDAwMH0.VeXNjkbcjtS3wnZNKlpNdncG-F2GkAJK1r2jQBvpyMvMyTX2zR9hImrhUziuGjQATTO6DSRqwEyBsbryPjv57g"
     "&state=12345", "VeXNjkbcjtS3wnZNKlpNdncG-F2GkAJK1r2jQBvpyMvMyTX2zR9hImrhUziuGjQATTO6DSRqwEyBsbryPjv57g"),
    ("N-central JWT eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJjbGllbnRfaWQiOiJuY2VudHJhbCIsInNjb3BlIjoiYXBpIn0."
     "9fefK0k0r4f1UgtpuUsNmC6Fu1W2cqhyY3rNdGb8tg4Oj_GEY7DksropcDR08GSs",
     "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJjbGllbnRfaWQiOiJuY2VudHJhbCIsInNjb3BlIjoiYXBpIn0.9fefK0k0r4f1UgtpuUsNmC6F"
     "u1W2cqhyY3rNdGb8tg4Oj_GEY7DksropcDR08GSs"),
    ("Cookie: session=eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoiamRvZSIsInJvbGUiOiJhZG1pbiJ9.Xq9Lm2Zp7Vt4Rw8Yn3Bc6Hf1Jd5Sg0Ae",
     "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoiamRvZSIsInJvbGUiOiJhZG1pbiJ9.Xq9Lm2Zp7Vt4Rw8Yn3Bc6Hf1Jd5Sg0Ae"),
]

# PEM and PuTTY private keys, whole and cut off mid-paste
PRIVATE_KEYS = [
    ("-----BEGIN RSA PRIVATE KEY-----\naPcA9bArPcZm9FveqizK7c0rUVdBDk3uSvKzT0MKBzRH3mNsDoBslXumhNZDH7Xq\n"
     "10JNCeFdAkxYSPI9H6b3Nh1/YY0VMucOIOKmZo3n9H6EZ+VG1T7I4qEle9slbJs+\n-----END RSA PRIVATE KEY-----",
     "10JNCeFdAkxYSPI9H6b3Nh1/YY0VMucOIOKmZo3n9H6EZ+VG1T7I4qEle9slbJs+"),
    ("key on the jump host:\n-----BEGIN OPENSSH PRIVATE KEY-----\n"
     "b3BlbnNzaC1rZXktdjEAjh1d2SWJCC2FKnEihz7oBa3ViUIWejhShhlcZ5+caZTkW4qxCY\n"
     "ASBwlh833kNt39yZ1uda9lR8+xG0IHJILcUxwrw5B8lhfrXlCJ5AGGuqilfRGeb7ZdAKvD\n-----END OPENSSH PRIVATE KEY-----",
     "ASBwlh833kNt39yZ1uda9lR8+xG0IHJILcUxwrw5B8lhfrXlCJ5AGGuqilfRGeb7ZdAKvD"),
    ("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIJMXZSdLqYKbRAb2H/iJMm/6lJLt7u48Zp8r8giU6ifmicZrayYuSIa4\n"
     "Q485unb++MkMUQH75s+aSNWwwKE9qQCmrcs9ZAaUgb4hyccnuNuMGI80GpJMf4jf\n-----END EC PRIVATE KEY-----",
     "MHcCAQEEIJMXZSdLqYKbRAb2H/iJMm/6lJLt7u48Zp8r8giU6ifmicZrayYuSIa4"),
    ("exported from the cert store: -----BEGIN PRIVATE KEY-----\n"
     "MIIEvgIBADANBgkqhkiG9w0BAQEFAEaS+BlBV/HUr5CYgoXPepr3yT1VUiZq/nDn\n"
     "qubaR2J8LlmvLqN6vIRnCtPE02vAiq0f/464QG4vin/EzOTdnwtBENny+gAlyO/l",
     "qubaR2J8LlmvLqN6vIRnCtPE02vAiq0f/464QG4vin/EzOTdnwtBENny+gAlyO/l"),
    ("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFLTBXBgkqhkiG9w0BBQ3ZvXT8Ea3XucplA5Uiaf1mn2N27nGHlzf9X3L41RxK\n"
     "yRttDEjUGh5eyeagOShUqGFe7xCfwb+p4lY3ASiPKbPXP2rCtp7dLBnyZL7kYqW6\n-----END ENCRYPTED PRIVATE KEY-----",
     "yRttDEjUGh5eyeagOShUqGFe7xCfwb+p4lY3ASiPKbPXP2rCtp7dLBnyZL7kYqW6"),
    ("PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\nComment: backup@nas01\nPublic-Lines: 1\n"
     "AAAAB3NzaC1yc2EAAAADAQAB\n"
     "Private-Lines: 2\np6PruShlyFF+0CER9qZS2jUkhytqMdf/5Fh3RNXreD6Wlo+JvoKFZeB+X314TpBg\n"
     "pyHKgH12M+0SNALzduW/FJZ3PRlhYya+W+WFAzazbxO8rkgWaIITaAWn0b5enydo",
     "pyHKgH12M+0SNALzduW/FJZ3PRlhYya+W+WFAzazbxO8rkgWaIITaAWn0b5enydo"),
    ("-----BEGIN DSA PRIVATE KEY-----\nMIIBuwIBAAKBgQDx7Kq2Lm9Zp4Vt8Rw1Yn6Hc3Jf5Sg0Ad8Ue2Io7Pa4Sd9Fg\n"
     "-----END DSA PRIVATE KEY-----", "MIIBuwIBAAKBgQDx7Kq2Lm9Zp4Vt8Rw1Yn6Hc3Jf5Sg0Ad8Ue2Io7Pa4Sd9Fg"),
]

# Wi-Fi and VPN pre-shared keys: hostapd, wpa_supplicant, netsh output and commands, profile XML
WIFI_KEYS = [
    ("hostapd.conf: ssid=Contoso-Staff wpa_passphrase=CorpWiFi2024!", "CorpWiFi2024!"),
    ("netsh wlan set hostednetwork mode=allow ssid=Guest key=Gu3stPass!", "Gu3stPass!"),
    ("    Key Content            : Sunshine#Office1", "Sunshine#Office1"),
    ("<sharedKey><keyType>passPhrase</keyType><protected>false</protected><keyMaterial>Warehouse-WiFi-88</keyMaterial>",
     "Warehouse-WiFi-88"),
    ('network={ ssid="Contoso-IoT" psk="1oT-Sens0rs-2024" }', "1oT-Sens0rs-2024"),
    ("Meraki SSID 3 (Guest) PSK: BlueSky-Guest-77", "BlueSky-Guest-77"),
    ("UniFi WLAN x_passphrase=Un1F1-Staff#24", "Un1F1-Staff#24"),
    ("Wi-Fi: SSID Contoso-Guest, key Guest@2024!", "Guest@2024!"),
    ("WPA2 key: 8f3Kd!29xQ", "8f3Kd!29xQ"),
    ("PSK for the VPN tunnel is Tunn3l-PSK-2024", "Tunn3l-PSK-2024"),
]

# BitLocker recovery passwords: 48 digits in eight groups of six
BITLOCKER_KEYS = [
    ("Recovery Password: 499884-707410-405878-558173-247071-648516-581658-291907",
     "499884-707410-405878-558173-247071-648516-581658-291907"),
    ("manage-bde -unlock D: -RecoveryPassword 111892-086955-050809-627517-175494-602514-072963-604945",
     "111892-086955-050809-627517-175494-602514-072963-604945"),
    ("BitLocker key for LT-0423 from Entra: 003993-411191-065692-233981-262691-658537-063899-558184",
     "003993-411191-065692-233981-262691-658537-063899-558184"),
    ("Numerical Password: ID: {8A4E1B2C-7D3F-4E5A-9B6C-1D2E3F4A5B6C} Password: "
     "607101-416768-628991-036344-037334-640442-228250-616517",
     "607101-416768-628991-036344-037334-640442-228250-616517"),
    ("user read it out as 035783 334389 365959 188760 223432 603977 439406 241934",
     "035783 334389 365959 188760 223432 603977 439406 241934"),
    ("Recovery key 231286-478973-122221-006721-612524-416878-353155-594385 worked",
     "231286-478973-122221-006721-612524-416878-353155-594385"),
]

# SNMP community strings, v1/v2c and v3 auth/priv passphrases
SNMP_COMMUNITIES = [
    ("snmp-server community Pr1v4teC0mm RW", "Pr1v4teC0mm"),
    ("snmpwalk -v2c -c n0tpublic 10.0.0.1 1.3.6.1.2.1.1", "n0tpublic"),
    ("SNMP community string: Contoso-RO-2024", "Contoso-RO-2024"),
    ("snmpset -v2c -c Wr1teC0mm 10.0.0.2 1.3.6.1.2.1.1.6.0 s 'Rack 4'", "Wr1teC0mm"),
    ("snmpwalk -v3 -u monitor -l authPriv -a SHA -A Auth#Pass99 -x AES -X Priv#Pass42 10.0.0.5", "Auth#Pass99"),
    ("snmpwalk -v3 -u monitor -l authPriv -a SHA -A Auth#Pass99 -x AES -X Priv#Pass42 10.0.0.5", "Priv#Pass42"),
    ("snmpd.conf: rocommunity PRTG-r3ad 10.0.0.0/24", "PRTG-r3ad"),
    ("snmp community: Mon1tor-RO", "Mon1tor-RO"),
    ("snmp-server user monitor v3grp v3 auth sha Auth!V3pass priv aes 128 Priv!V3pass", "Auth!V3pass"),
    ("snmp-server user monitor v3grp v3 auth sha Auth!V3pass priv aes 128 Priv!V3pass", "Priv!V3pass"),
]

SECRETS = [
    *PASSWORDS,
    *COMMAND_LINE_PASSWORDS,
    *PLAIN_TEXT_SECURE_STRINGS,
    *PSA_KEYS,
    *CLOUD_KEYS,
    *SERVICE_TOKENS,
    *CONNECTION_STRINGS,
    *BASIC_AUTH_URLS,
    *JWTS,
    *PRIVATE_KEYS,
    *WIFI_KEYS,
    *BITLOCKER_KEYS,
    *SNMP_COMMUNITIES,
]


# Identifiers engineers need: tenant, object, application, key protector and product GUIDs
GUIDS = [
    "Tenant ID: 72f988bf-86f1-41af-91ab-2d7cd011db47",
    "objectGUID {3F2504E0-4F89-11D3-9A0C-0305E82C3301}",
    "Application (client) ID: 0f8b2c6e-3d41-4b7a-9e2d-5c1a7b9f3e21",
    "Key Protector ID: {8A4E1B2C-7D3F-4E5A-9B6C-1D2E3F4A5B6C}",
    "Correlation ID: 5d7e9f1a-2b3c-4d5e-8f9a-0b1c2d3e4f5a, Timestamp: 2024-06-11 09:14:02Z",
    "ProductCode {90160000-0011-0000-1000-0000000FF1CE}",
    "CW clientId 8c2a4e6f-1b3d-4f5a-9c7e-2d4f6a8b0c1e (the integrator id, not a key)",
    "Intune device ID 4f3e2d1c-0b9a-4876-a5b4-c3d2e1f0a9b8",
    "RecoveryKeyId 1A2B3C4D-5E6F-4A8B-9C0D-1E2F3A4B5C6D",
]

# Updates, events and error codes
UPDATES_EVENTS_AND_ERRORS = [
    "Installed KB5034441 and KB5034763, rebooted twice",
    "Get-HotFix -Id KB5035845",
    "wusa /uninstall /kb:5034441 /quiet /norestart",
    "Event ID 4625 (An account failed to log on), Logon Type 3, Status 0xC000006D",
    "Event 41 Kernel-Power after the BIOS update",
    "Event ID 1001 BugCheck 0x0000007e (0xffffffffc0000005, 0xfffff8025a3c1d10)",
    "EventID=4740 account lockout, caller computer WS-0142",
    "Windows Update failed with 0x80070005",
    "Feature update to 23H2 fails at 0x800f0922",
    "Error 0x80004005: Unspecified error when opening the share",
    "STOP 0x0000009F DRIVER_POWER_STATE_FAILURE",
    "AADSTS50076: Due to a configuration change made by your administrator, you must use multi-factor auth",
    "Outlook error 0x8004010F: Data file cannot be accessed",
    "Exit code -2147024891 from the installer",
    "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP",
    "HRESULT 0x8007045D on the USB backup target",
    "Event 4724: An attempt was made to reset an account's password",
    "Event 4771 Kerberos pre-authentication failed, Failure Code 0x18",
    "KB5036893 superseded by KB5037771",
    "fatal: Authentication failed for 'https://github.com/contoso/scripts.git/'",
    "Veeam job 'Daily-FS01' finished with warning: 1 of 12 VMs processed with errors",
    "AADSTS700082: The refresh token has expired due to inactivity",
]

# Windows, UNC and registry paths
PATHS = [
    "C:\\Windows\\System32\\drivers\\etc\\hosts",
    "%LOCALAPPDATA%\\Microsoft\\Outlook\\RoamCache",
    "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24030.9-0\\MsMpEng.exe",
    "C:\\Users\\jdoe\\AppData\\Roaming\\Microsoft\\Credentials",
    "D:\\Backups\\Veeam\\Contoso-FS01\\Contoso-FS01D2024-06-11T220012_8F3A.vbk",
    "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE /safe",
    "\\\\fs01.contoso.local\\Departments$\\Finance",
    "\\\\?\\Volume{4c1b02c4-d990-11dc-99ae-806e6f6e6963}\\",
    "\\\\nas01\\scans\\Reception",
    "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU",
    "HKCU\\Software\\Microsoft\\Office\\16.0\\Outlook\\AutoDiscover ExcludeExplicitO365Endpoint=1",
    "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa LmCompatibilityLevel=5",
    "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon DefaultUserName",
    'reg add "HKLM\\SOFTWARE\\Policies\\Microsoft\\FVE" /v UseAdvancedStartup /t REG_DWORD /d 1 /f',
    "HKLM\\SYSTEM\\CurrentControlSet\\Services\\LanmanServer\\Parameters SMB1=0",
    "Microsoft.WindowsStore_22405.1401.0.0_x64__8wekyb3d8bbwe",
    "C:\\Windows\\SoftwareDistribution\\Download\\a1b2c3d4e5f60718293a4b5c6d7e8f90",
    "/subscriptions/4f3e2d1c-0b9a-4876-a5b4-c3d2e1f0a9b8/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices"
    "/vaults/rsv-contoso-01",
    "Key: HKLM\\SOFTWARE\\Microsoft\\Cryptography MachineGuid",
]

# URLs and host names
URLS_AND_HOSTS = [
    "https://portal.azure.com/#view/Microsoft_AAD_IAM/ActiveDirectoryMenuBlade/~/Overview",
    "https://learn.microsoft.com/en-us/windows/deployment/update/windows-update-error-reference",
    "https://support.microsoft.com/kb/5034441",
    "https://contoso.sharepoint.com/sites/Finance/Shared%20Documents/Forms/AllItems.aspx",
    "POST https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token",
    "https://passwordreset.microsoftonline.com/ for self-service reset",
    "https://github.com/PowerShell/PowerShell/releases/tag/v7.4.2",
    "https://na.myconnectwise.net/v4_6_release/services/system_io/Service/fv_sr100_request.rails?service_recid=48213",
    "https://ww5.autotask.net/Mvc/ServiceDesk/TicketDetail.mvc?workspace=False&ticketId=123456",
    "https://admin.microsoft.com/Adminportal/Home#/users/:/UserDetails/0f8b2c6e-3d41-4b7a-9e2d-5c1a7b9f3e21",
    "DC01.corp.contoso.com and DC02.corp.contoso.com both answer on 389",
    "exch2019-01.contoso.local",
    "contoso-com.mail.protection.outlook.com",
    "autodiscover.contoso.com CNAME autodiscover.outlook.com",
    "_sip._tls.contoso.com SRV 100 1 443 sipdir.online.lync.com",
    "RDS-GW01 is the gateway, RDS-SH02 the session host",
    "SPF record v=spf1 ip4:203.0.113.0/24 include:sendgrid.net ~all",
    "DMARC: v=DMARC1; p=quarantine; rua=mailto:dmarc@contoso.com",
]

# Network addresses
NETWORK = [
    "MAC 00:1A:2B:3C:4D:5E on port Gi1/0/14",
    "B8-27-EB-12-34-56 has a DHCP reservation",
    "show mac address-table address a4bb.6d12.3f90",
    "10.0.5.20/24 gateway 10.0.5.1 DNS 8.8.8.8 1.1.1.1",
    "2001:db8:85a3::8a2e:370:7334",
    "public IP 203.0.113.45 NAT to 192.168.1.10:3389",
    "Allowed 52.96.0.0/14 for Exchange Online",
    "Meraki network L_646829496481105433",
]

# Hashes and thumbprints, named as such
HASHES_AND_THUMBPRINTS = [
    "SHA256: f252019e78d0e2292d76334d306f5ef11798d409eb75962fd301a84cc84eab84",
    "SHA1 82d972a25c246144734cb16d7b75d5ad4ac12a9f",
    "MD5: b7511475d0b7b5320c0069f8dc525e4c",
    "Algorithm : SHA256  Hash : 5E9C9D83589A8070FEC594D17A783A06AAC2F80F9701B53EBA5C59ACDE641553",
    "Defender quarantined Trojan:Win32/Wacatac.B!ml, SHA-256 "
    "876d6dd9f9b9f5f9707d5bbd933e4a241d65099eec01407ec6a1b044da05ca4e",
    "Thumbprint: 87EFFB2121C506BAC842F5FA229D4F62A0290C9D",
    "Get-ChildItem Cert:\\LocalMachine\\My\\174E373BDB76B2CA917B4C5D21718CDE22967E79",
    "Certificate thumbprint D81004C1DEC8EE162646FFA9204C1C9EEB488C6D expires 2025-03-01",
    "Reverted to commit 644d711943794e8249b1f891a45d218bafcbbaa4 of the scripts repo",
    "Cert serial number 018f134a069e3fab8c3bfc5e740e61572b4e3c",
    '"x5t": "nOo3ZDrODXEK1jKWhXslHR_KXEg"',
    "File hash (SHA256) 0ef82b15fc467fe93e81dd58a0c1f9a51bb5d9fb33fdebd0bd6ba93e3c411a05 matched the vendor's",
]

# Public keys and certificates: base64, but nothing to hide
PUBLIC_MATERIAL = [
    "-----BEGIN CERTIFICATE-----\nMIIDWjCCAkKgAwIBAgIQEP33INAzyk8uU8uK0ZGd1RqfttTVCbpkyM9oA95Q2Dou\n"
    "z7rrU0IHGkjLLb1XSrKRUlciN8T7ZZpAFvehG8YsUnHPZPJdbxXMUMS3P0x+YhUT\n-----END CERTIFICATE-----",
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABUo6nwFaHOhi45zWByb6HwLxKuKkp4nVaGJeBnqAAEXFMlN3VuhhD+nQXCxsBtZs2tnLTmkRou/NRRAd8T"
    "OYxIEqKzYcFHLPj/H9UABYfDM9feVEdNQZkSNNm backup@nas01",
    "selector1._domainkey TXT v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A1FmeIJkY9APA3+4p51lzNYV2Ez+rhhqI34eXbys"
    "HVoV4Z1GnYseoesLw8QMN33edbMgnV0oQDTk2UrBI",
]

# Serial numbers, asset tags, tickets and versions
SERIALS_TICKETS_AND_VERSIONS = [
    "Serial Number: 5CG1234XYZ (HP EliteBook 840 G8)",
    "Service Tag: 7XK9L23",
    "SN: FOC2145X0AB on the core switch",
    "Mac serial C02ZK1ABMD6T",
    "Volume Serial Number is 4C1B-02C4",
    "SID S-1-5-21-3623811015-3361044348-30300820-1013",
    "Ticket #48213 merged into #48227",
    "CW SR 1234567, Autotask T20240611.0042, ServiceNow INC0012345",
    "Microsoft support case 2406110040001234",
    "Windows 11 23H2 build 22631.3737",
    "Office Version 2405 (Build 17628.20144 Click-to-Run)",
    "FortiOS v7.2.8 build1639 (GA)",
    "Veeam Backup & Replication 12.1.2.172",
    "Chrome 126.0.6478.57 (Official Build) (64-bit)",
    "ScreenConnect 23.9.8.8811 patched",
    "BIOS 1.27.0 on the Latitude 5440, TPM 2.0 firmware 7.2.3.1",
    "Teams meeting ID 123 456 789 012",
    "Phone +1 (555) 010-4477, ext 204",
    "Office Product ID 00202-50000-00000-AA123",
    'ETag: "0x8DC8A1B2C3D4E5F"',
    "Signer: DigiCert Trusted G4 Code Signing RSA4096 SHA384 2021 CA1",
    "Certificate request ID 4521, template WebServer-2048-SHA256",
    "Ticket 48241: user cannot remember passphrase for the old PGP key; key revoked",
    "Firmware 7.10.30.00, iDRAC 9 Enterprise, BIOS 2.19.1",
]

# Commands without a secret in them: PowerShell, cmd, netsh, manage-bde, net use
COMMANDS = [
    "Get-ADUser jdoe -Properties PasswordLastSet, LockedOut, BadLogonCount",
    "Search-ADAccount -LockedOut | Unlock-ADAccount",
    'Set-ADAccountPassword -Identity jdoe -Reset -NewPassword (Read-Host -AsSecureString "New password")',
    "Get-Credential | Export-Clixml C:\\Scripts\\cred.xml",
    "Test-NetConnection -ComputerName dc01 -Port 389",
    "Get-MgUser -UserId jdoe@contoso.com -Property PasswordPolicies",
    "Set-MsolUser -UserPrincipalName jdoe@contoso.com -PasswordNeverExpires $true",
    "Get-WinEvent -FilterHashtable @{LogName='Security'; Id=4625} -MaxEvents 50",
    "Invoke-Command -ComputerName fs01 -ScriptBlock { Get-SmbShare } -Credential (Get-Credential)",
    "$cred = Get-Credential CONTOSO\\admin",
    "Connect-ExchangeOnline -UserPrincipalName admin@contoso.onmicrosoft.com",
    "dsregcmd /status",
    "gpupdate /force && klist purge",
    "DISM /Online /Cleanup-Image /RestoreHealth",
    "repadmin /replsummary",
    'netsh wlan show profile name="Contoso-Guest" key=clear',
    "netsh wlan show interfaces",
    "cmdkey /list",
    "manage-bde -status C:",
    "manage-bde -protectors -get C:",
    "Get-BitLockerVolume | Select-Object -ExpandProperty KeyProtector",
    "net user jdoe /domain",
    "net accounts /maxpwage:90",
    "net use Z: \\\\fs01\\share /persistent:yes",
    "net use * /delete /y",
    "Reset-ComputerMachinePassword -Server dc01 -Credential CONTOSO\\admin",
    "Set-ExecutionPolicy RemoteSigned -Scope CurrentUser",
    "Get-AppxPackage *Teams* | Remove-AppxPackage",
    "snmpwalk -v2c -c $env:SNMP_COMMUNITY 10.0.0.1",
    "Use Read-Host -AsSecureString instead of ConvertTo-SecureString -AsPlainText in scripts",
    "Invoke-RestMethod -Uri $uri -Headers @{Authorization = \"Bearer $token\"}",
    "runas /user:CONTOSO\\admin cmd",
    'sqlcmd -S sql01 -E -Q "select @@version"',
    "ssh -p 2222 admin@10.0.0.9",
    "plink -ssh root@10.0.0.9 -P 22 -batch",
    "Test-ComputerSecureChannel -Repair -Credential CONTOSO\\admin",
    "Get-LocalUser | Select Name, PasswordRequired, PasswordLastSet",
    "Set-ADUser jdoe -ChangePasswordAtLogon $true",
    "choco install googlechrome --version 126.0.6478.57 -y",
    "winget install --id Microsoft.PowerShell --source winget",
    "slmgr /dlv shows Volume:GVLK, activated via KMS",
    'netsh advfirewall firewall add rule name="RDP" dir=in action=allow protocol=TCP localport=3389',
    "Set-Mailbox jdoe -ForwardingSmtpAddress $null",
    "docker run -d -p 8080:80 --name web nginx:1.27",
    "Get-FileHash .\\setup.exe -Algorithm SHA256 | Format-List",
    "Connect-MgGraph -Scopes User.ReadWrite.All -TenantId contoso.onmicrosoft.com",
]

# Notes that talk about secrets without containing one, and text already redacted
NOTES = [
    "User says the password expired and SSPR rejects the new one.",
    "Password reset via SSPR completed; user confirmed sign-in.",
    "Reset MFA and the password for jdoe, user picks a new one at next sign-in.",
    "Client secret for the app registration expires on 2024-09-30; renewal ticket raised.",
    "API key rotated in the Autotask integration settings, old key revoked.",
    "The token expired overnight, so the sync stopped at 02:00.",
    "Pre-shared key mismatch in IKE phase 1 (see the firewall log).",
    "BitLocker recovery key was found in Entra ID under the device.",
    "SNMP community changed on all switches; PRTG sensors updated.",
    "Password for the admin account is in IT Glue under Contoso > Passwords.",
    "Password policy: 14 characters minimum, 90-day expiry.",
    "net use X: \\\\fs01\\finance /user:svc [REDACTED] # retries=3",
    "Set password= [REDACTED] in the template.",
    "Authorization header was Bearer [REDACTED] in the capture.",
    "Password never expires is set on svc_backup; flagged for review",
    "Passwords must be rotated every 90 days per the client's policy",
    "Token lifetime policy set to 1 hour",
    "Key vault: kv-contoso-prod-001",
    "Secret scanning alert #42 closed as revoked",
    "PSK length must be 8-63 characters",
    "Protection Status: Protection On, Encryption Method: XTS-AES 128",
    "Key Protectors: TPM, Numerical Password",
    "X-MS-Exchange-Organization-SCL: 1",
    "VPN: IKEv2, AES256, SHA256, DH group 14, PFS on",
    "Wi-Fi SSID Contoso-Staff on channel 36, WPA2-Enterprise",
    "SNMP v3 configured with authPriv (SHA/AES)",
    "Secret Server folder: Clients > Contoso > Network",
    "Password spray from 198.51.100.23 blocked by Conditional Access",
    "Commit message: fix token refresh in sync job",
    "The user's PIN was reset in Windows Hello for Business",
    "User's password was changed at 2024-06-11 08:12 by SSPR",
    "Key point: KB5034441 fails with 0x800f0922 on 23H2, so it was hidden with wushowhide",
    "Did basic troubleshooting first: restarted the Outlook profile and the laptop",
    "Basic authentication is disabled for Exchange Online in this tenant",
]

BENIGN = [
    *GUIDS,
    *UPDATES_EVENTS_AND_ERRORS,
    *PATHS,
    *URLS_AND_HOSTS,
    *NETWORK,
    *HASHES_AND_THUMBPRINTS,
    *PUBLIC_MATERIAL,
    *SERIALS_TICKETS_AND_VERSIONS,
    *COMMANDS,
    *NOTES,
]
