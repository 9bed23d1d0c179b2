package doctor

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/berthdev/berth/internal/engine"
)

// ecrImage is an image reference in an ECR registry.
type ecrImage struct {
	account, region, repository string
	id                          ecrtypes.ImageIdentifier
}

var ecrReference = regexp.MustCompile(`^([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([^:@]+)(?::([^@]+))?(?:@(.+))?$`)

// parseECR recognises AWS's registry names; the local cloud's registry is
// found by its repositories' URIs instead (see lookupRegistry).
func parseECR(image string) (ecrImage, bool) {
	m := ecrReference.FindStringSubmatch(image)
	if m == nil {
		return ecrImage{}, false
	}
	return ecrImage{account: m[1], region: m[2], repository: m[3], id: imageID(m[4], m[5])}, true
}

func imageID(tag, digest string) ecrtypes.ImageIdentifier {
	if digest != "" {
		return ecrtypes.ImageIdentifier{ImageDigest: aws.String(digest)}
	}
	if tag == "" {
		tag = "latest"
	}
	return ecrtypes.ImageIdentifier{ImageTag: aws.String(tag)}
}

// lookupRegistry finds the image among the account's repositories by
// their URIs: how an endpoint's own registry host (the local cloud's) is
// recognised.
func lookupRegistry(ctx context.Context, c *engine.Clients, image string) (ecrImage, bool, error) {
	pages := ecr.NewDescribeRepositoriesPaginator(c.ECR, &ecr.DescribeRepositoriesInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return ecrImage{}, false, err
		}
		for _, r := range page.Repositories {
			uri := aws.ToString(r.RepositoryUri)
			rest, ok := strings.CutPrefix(image, uri)
			if !ok || (rest != "" && rest[0] != ':' && rest[0] != '@') {
				continue
			}
			tag, digest, _ := strings.Cut(strings.TrimPrefix(rest, ":"), "@")
			if strings.HasPrefix(rest, "@") {
				tag, digest = "", rest[1:]
			}
			return ecrImage{account: aws.ToString(r.RegistryId), region: c.Region, repository: aws.ToString(r.RepositoryName), id: imageID(tag, digest)}, true, nil
		}
	}
	return ecrImage{}, false, nil
}

// checkImage asks ECR whether each container's image is there; an image
// in another registry cannot be checked from the account.
func checkImage(ctx context.Context, c *engine.Clients, st *Stack) []Finding {
	var findings []Finding
	for _, container := range st.Task.Containers {
		findings = append(findings, imageFinding(ctx, c, container.Image))
	}
	return findings
}

func imageFinding(ctx context.Context, c *engine.Clients, image string) Finding {
	const check = "image"
	ref, ok := parseECR(image)
	if !ok {
		found, inRegistry, err := lookupRegistry(ctx, c, image)
		if err != nil {
			return warn(check, fmt.Sprintf("%s: cannot list the ECR repositories: %v", image, err), "allow ecr:DescribeRepositories, or check that the image can be pulled")
		}
		if !inRegistry {
			return warn(check, image+" is not in ECR: berth cannot check that it exists",
				"make sure the instances can pull it (docker pull "+image+"), or push it to ECR")
		}
		ref = found
	}
	in := &ecr.DescribeImagesInput{RepositoryName: aws.String(ref.repository), RegistryId: aws.String(ref.account), ImageIds: []ecrtypes.ImageIdentifier{ref.id}}
	_, err := c.ECR.DescribeImages(ctx, in, func(o *ecr.Options) {
		if ref.region != "" {
			o.Region = ref.region
		}
	})
	push := fmt.Sprintf("docker push %s (berth deploy builds and pushes image.build itself)", image)
	switch {
	case err == nil:
		return pass(check, image+" is in its ECR repository")
	case engine.HasCode(err, "RepositoryNotFoundException"):
		return fail(check, fmt.Sprintf("%s: ECR repository %s does not exist in account %s (%s)", image, ref.repository, ref.account, ref.region),
			fmt.Sprintf("aws ecr create-repository --repository-name %s --region %s, then %s", ref.repository, ref.region, push))
	case engine.HasCode(err, "ImageNotFoundException"):
		return fail(check, fmt.Sprintf("%s: repository %s has no such image", image, ref.repository), push)
	}
	return warn(check, fmt.Sprintf("%s: cannot read ECR: %v", image, err), "allow ecr:DescribeImages to check the image")
}
